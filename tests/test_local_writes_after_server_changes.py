"""A local file that cannot be written after the server made a change must never lose what the
server made. `member invite` with a linked invites.json.lock made the invite on the server,
then failed on the lock: its one-time code was never shown. A pins file that could not be
written for any reason but a linked lock (a read-only home) still raised after `token create`,
`token rotate`, `env edit --rename`, `env delete`: the new token was lost. Now what can be
checked is checked before the server is asked, and a write that fails after it goes on with
one warning saying what was not kept and what that leaves."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

from envkeep.core.errors import ConflictError
from tests.server import _environ, join, start_server
from tests.server import cli as _cli
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from pathlib import Path

    from tests.server import TeamServer

# The real CLI, with os.replace refusing (ENOSPC) to put a file named FAIL_REPLACE in place:
# a write that fails after every check before it passed (a disk filling up meanwhile).
_FULL_DISK = """\
import errno, os, sys
real = os.replace
def full(src, dst, *args, **kwargs):
    if os.path.basename(os.fspath(dst)) == os.environ["FAIL_REPLACE"]:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), os.fspath(dst))
    return real(src, dst, *args, **kwargs)
os.replace = full
from envkeep.cli import entry
entry.main(sys.argv[1:])
"""


def _with_full_disk(
    home: Path, work: Path, failing: str, *args: str
) -> subprocess.CompletedProcess[str]:
    env = {**_environ(home), "FAIL_REPLACE": failing}
    command = [sys.executable, "-c", _FULL_DISK, *args]
    return subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, check=False)


def _alice_with_shop(server: TeamServer, tmp_path: Path) -> tuple[Path, Path]:
    alice, work = tmp_path / "alice", tmp_path / "work"
    work.mkdir()
    join(server, alice, work, server.invite("alice@local.io"), "alice@local.io")
    _ok(alice, work, "init", "shop")
    for env in ("staging", "prod"):
        _ok(alice, work, "set", f"DB={env}-db", "--env", env)
        _ok(alice, work, "get", "DB", "--env", env)  # pinned here
    return alice, work


def test_an_invite_whose_secret_cannot_be_kept_is_refused_before_it_is_made(
    tmp_path: Path,
) -> None:
    server = start_server(tmp_path / "srv")
    try:
        alice, work = _alice_with_shop(server, tmp_path)
        lock = alice / "invites.json.lock"
        lock.unlink(missing_ok=True)
        lock.symlink_to(tmp_path / "elsewhere")
        refused = _cli(alice, work, "member", "invite", "bob@x.io", "--role", "read", "-p", "shop")
        listed = _ok(alice, work, "member", "list")
        lock.unlink()
        made = _cli(alice, work, "member", "invite", "bob@x.io", "--role", "read", "-p", "shop")
    finally:
        server.stop()

    assert refused.returncode == ConflictError.exit_code, refused.stderr
    assert f"error: {alice / 'invites.json'} cannot be written" in refused.stderr
    assert "no invite was made" in refused.stderr
    assert f"hint: remove the link: rm {lock}, then run this command again" in refused.stderr
    assert refused.stdout == ""
    assert "bob@x.io" not in listed  # nothing made on the server
    assert made.returncode == 0, made.stderr
    assert len(made.stdout.strip()) > 40  # the code, once the link is gone


def test_an_invite_secret_not_kept_after_the_invite_was_made_still_shows_its_code(
    tmp_path: Path,
) -> None:
    server = start_server(tmp_path / "srv")
    bob = tmp_path / "bob"
    try:
        alice, work = _alice_with_shop(server, tmp_path)
        made = _with_full_disk(
            alice, work, "invites.json", "member", "invite", "bob@x.io", "--role", "read", "-p",
            "shop",
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        join(server, bob, work, made.stdout.strip(), "bob@x.io")  # the code shown works
        whoami = _ok(bob, work, "whoami")
    finally:
        server.stop()

    invites = alice / "invites.json"
    assert f"warning: the code's secret was not kept in {invites} (No space left" in made.stderr
    assert "envkeep member verify bob@x.io --fingerprint" in made.stderr
    assert "bob@x.io" in whoami
    assert not invites.exists() or "bob@x.io" not in invites.read_text()


def test_unwritable_pins_leave_tokens_renames_deletions_and_rotations_done_and_say_so(
    tmp_path: Path,
) -> None:
    server = start_server(tmp_path / "srv")
    try:
        alice, work = _alice_with_shop(server, tmp_path)
        _ok(alice, work, "token", "create", "old", "--project", "shop", "--env", "prod")
        _ok(alice, work, "env", "rotate-key", "prod")  # key versions pinned here
        locks = [alice / f"{name}.lock" for name in ("known_environments.json", "known_keys.json")]
        for lock in locks:  # an open() of it fails (EISDIR), as in a home it may not write
            lock.unlink(missing_ok=True)
            lock.mkdir()
        created = _cli(alice, work, "token", "create", "ci", "--project", "shop", "--env", "prod")
        rotated = _cli(alice, work, "token", "rotate", "old")
        renamed = _cli(alice, work, "env", "edit", "staging", "--rename", "qa", "--yes")
        deleted = _cli(alice, work, "env", "delete", "prod", "--yes")
        tokens = _ok(alice, work, "token", "list")
        listed = _ok(alice, work, "env", "list")
    finally:
        server.stop()

    keys, environments = alice / "known_keys.json", alice / "known_environments.json"
    for done in (created, rotated):
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("ek_"), done.stdout  # the new token, shown once
        assert f"warning: {keys} could not be written (Is a directory" in done.stderr
        assert done.stderr.count("so the keys of the token this command made were not") == 1
    assert "ci" in tokens
    # the rotation of prod's key that followed sealed it to ci, unpinned by `token create`
    unpinned = "the key of token ci, seen here first, was not pinned: it is taken on first sight"
    assert unpinned in rotated.stderr
    assert renamed.returncode == 0, renamed.stderr
    assert f"warning: {environments} could not be written" in renamed.stderr
    assert "the pin of 'shop/staging' was not moved" in renamed.stderr
    assert "qa" in (work / "envkeep.toml").read_text()
    assert deleted.returncode == 0, deleted.stderr
    assert "the pin of 'shop/prod' was not dropped" in deleted.stderr
    assert "qa" in listed
    assert "prod" not in listed


def test_a_key_rotated_here_and_left_unpinned_is_said_as_made_not_seen(tmp_path: Path) -> None:
    server = start_server(tmp_path / "srv")
    try:
        alice, work = _alice_with_shop(server, tmp_path)
        versions = alice / "known_key_versions.json"
        linked = versions.with_name(f"{versions.name}.lock")
        linked.unlink(missing_ok=True)
        linked.symlink_to(tmp_path / "elsewhere")
        by_link = _cli(alice, work, "env", "rotate-key", "prod")
        linked.unlink()
        linked.mkdir()
        by_error = _cli(alice, work, "env", "rotate-key", "staging")
    finally:
        server.stop()

    assert by_link.returncode == 0, by_link.stderr
    assert f"warning: {linked} is a link, not a lock file, so key version 2 of 'shop/prod'," in (
        by_link.stderr
    )
    assert "which this command made, was not pinned" in by_link.stderr
    assert "saw first" not in by_link.stderr
    assert by_error.returncode == 0, by_error.stderr
    assert f"warning: {versions} could not be written (Is a directory" in by_error.stderr
    assert "key version 2 of 'shop/staging', which this command made" in by_error.stderr


def test_a_reset_whose_code_secret_cannot_be_kept_is_refused_before_anything_is_reset(
    tmp_path: Path,
) -> None:
    server = start_server(tmp_path / "srv")
    bob = tmp_path / "bob"
    try:
        alice, work = _alice_with_shop(server, tmp_path)
        code = _ok(alice, work, "member", "invite", "bob@x.io", "--role", "read", "-p", "shop")
        join(server, bob, work, code.strip(), "bob@x.io")
        lock = alice / "invites.json.lock"
        lock.unlink(missing_ok=True)
        lock.symlink_to(tmp_path / "elsewhere")
        refused = _cli(
            alice, work, "member", "reset", "bob@x.io", "--role", "read", "-p", "shop", "--yes"
        )
        still = _cli(bob, work, "whoami")
    finally:
        server.stop()

    assert refused.returncode == ConflictError.exit_code, refused.stderr
    assert "an invite's secret is kept there; nothing was reset" in refused.stderr
    assert refused.stdout == ""
    assert still.returncode == 0, still.stderr  # bob's session was not ended
