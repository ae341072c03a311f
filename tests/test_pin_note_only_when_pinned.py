"""A new environment's key sealed to a reader this machine had not seen says "note: pinned the
key of X … compare it with theirs". When that pin could not be written (its lock file a
directory, as in a home it may not write) the warning said so, and then the note said it was
pinned all the same. The note now follows only a pin that was written."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.server import cli as _cli
from tests.server import join, start_server
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from pathlib import Path

    from tests.server import TeamServer


def _member(server: TeamServer, alice: Path, home: Path, work: Path, *role: str) -> None:
    """``home``'s owner (its name @notes.io) invited by alice with ``role``, joined, granted."""
    email = f"{home.name}@notes.io"
    level, *scope = role
    code = _ok(alice, work, "member", "invite", email, "--role", level, *scope).strip()
    join(server, home, work, code, email)
    _ok(alice, work, "member", "grant", email, level, *scope)


def test_the_pinned_note_is_said_only_when_the_first_seen_key_was_pinned(tmp_path: Path) -> None:
    server = start_server(tmp_path / "srv")
    alice, carol, dave = tmp_path / "alice", tmp_path / "carol", tmp_path / "dave"
    work = tmp_path / "work"
    work.mkdir()
    try:
        join(server, alice, work, server.invite("alice@notes.io"), "alice@notes.io")
        _ok(alice, work, "init", "shop")
        _member(server, alice, carol, work, "admin", "--project", "shop")
        _member(server, alice, dave, work, "read")  # the workspace: carol never saw his key
        lock = carol / "known_keys.json.lock"
        lock.unlink(missing_ok=True)
        lock.mkdir()  # an open() of it fails (EISDIR), as in a home it may not write
        unpinned = _cli(carol, work, "env", "create", "qa")
        lock.rmdir()
        pinned = _cli(carol, work, "env", "create", "uat")
    finally:
        server.stop()

    assert unpinned.returncode == 0, unpinned.stderr
    assert f"warning: {carol / 'known_keys.json'} could not be written" in unpinned.stderr
    assert "so the key of dave@notes.io, seen here first, was not pinned" in unpinned.stderr
    assert "note: pinned the key of" not in unpinned.stderr + unpinned.stdout
    assert pinned.returncode == 0, pinned.stderr
    assert "note: pinned the key of dave@notes.io, which this machine had not seen before" in (
        pinned.stderr
    )
