"""A pins file whose lock file is a link cannot be written (`files.exclusive` never opens one).
The pin writes that follow a change this machine made on the server (a rename, a deletion, a
token's keys) raised ELOOP, after the change was made: the command failed with a path error,
envkeep.toml kept the old name, a new token was never shown. They now go on and say which pin
was left, and the rm that mends it. `member verify`, whose one change is the pin, is refused
with that rm, as an envkeep error, nothing pinned."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.core.errors import ConflictError
from tests.server import cli as _cli
from tests.server import join, start_server
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from pathlib import Path


def test_a_linked_pins_lock_leaves_renames_deletions_and_tokens_done_and_says_so(
    tmp_path: Path,
) -> None:
    server = start_server(tmp_path / "srv")
    alice, bob, work = tmp_path / "alice", tmp_path / "bob", tmp_path / "work"
    work.mkdir()
    try:
        join(server, alice, work, server.invite("alice@links.io"), "alice@links.io")
        _ok(alice, work, "init", "shop")
        for env in ("staging", "prod"):
            _ok(alice, work, "set", f"DB={env}-db", "--env", env)
            _ok(alice, work, "get", "DB", "--env", env)  # pinned here
        code = _ok(alice, work, "member", "invite", "bob@links.io", "--role", "read", "-p", "shop")
        join(server, bob, work, code.strip(), "bob@links.io")
        told = "".join(_ok(bob, work, "whoami", "--fingerprint").split()[-8:])
        elsewhere = tmp_path / "elsewhere"
        locks = {}
        for name in ("known_environments.json", "known_keys.json"):
            locks[name] = lock = alice / f"{name}.lock"
            lock.unlink(missing_ok=True)
            lock.symlink_to(elsewhere / lock.name)

        renamed = _cli(alice, work, "env", "edit", "staging", "--rename", "qa", "--yes")
        deleted = _cli(alice, work, "env", "delete", "prod", "--yes")
        unread = _cli(alice, work, "env", "edit", "dev", "--rename", "test", "--yes")
        token = _cli(alice, work, "token", "create", "ci", "--project", "shop", "--env", "test")
        verified = _cli(alice, work, "member", "verify", "bob@links.io", "--fingerprint", told)
        listed = _ok(alice, work, "env", "list")
        locks["known_keys.json"].unlink()
        again = _cli(alice, work, "member", "verify", "bob@links.io", "--fingerprint", told)
    finally:
        server.stop()

    environments = locks["known_environments.json"]
    assert renamed.returncode == 0, renamed.stderr
    assert f"warning: {environments} is a link, not a lock file, so the pin of 'shop/staging'" in (
        renamed.stderr
    )
    assert f"remove the link: rm {environments}\n" in renamed.stderr
    assert "qa" in (work / "envkeep.toml").read_text()  # the rename reached envkeep.toml
    assert deleted.returncode == 0, deleted.stderr
    assert "the pin of 'shop/prod' was not dropped" in deleted.stderr
    assert unread.returncode == 0, unread.stderr
    assert "is a link" not in unread.stderr  # never read here: no pin left behind to say
    assert "qa" in listed
    assert "prod" not in listed
    assert "staging" not in listed

    keys = locks["known_keys.json"]
    assert token.returncode == 0, token.stderr
    assert token.stdout.startswith("ek_"), token.stdout  # the new token, shown once
    assert f"warning: {keys} is a link" in token.stderr
    assert verified.returncode == ConflictError.exit_code, verified.stderr
    assert f"error: {keys} is a link, not a lock file, so the key was not pinned" in (
        verified.stderr
    )
    assert f"hint: remove the link: rm {keys}, then run this command again" in verified.stderr
    assert again.returncode == 0, again.stderr  # the link gone, it pins
    assert "pinned here already" not in again.stderr  # the refused one pinned nothing
    assert not elsewhere.exists()  # nothing written where the links lead
