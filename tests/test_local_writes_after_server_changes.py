"""A local file that cannot be written after the server made a change must never lose what the
server made. A pins file that could not be written for any reason but a linked lock (a
read-only home) still raised after `token create`, `token rotate`, `env edit --rename`, `env
delete`: the new token was lost. Now a write that fails after the change goes on with one
warning saying what was not pinned and what that leaves."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.server import cli as _cli
from tests.server import join, start_server
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from pathlib import Path

    from tests.server import TeamServer


def _alice_with_shop(server: TeamServer, tmp_path: Path) -> tuple[Path, Path]:
    alice, work = tmp_path / "alice", tmp_path / "work"
    work.mkdir()
    join(server, alice, work, server.invite("alice@local.io"), "alice@local.io")
    _ok(alice, work, "init", "shop")
    for env in ("staging", "prod"):
        _ok(alice, work, "set", f"DB={env}-db", "--env", env)
        _ok(alice, work, "get", "DB", "--env", env)  # pinned here
    return alice, work


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
