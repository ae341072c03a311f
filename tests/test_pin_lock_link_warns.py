"""A pins file whose lock file is a link (`files.exclusive` never opens one: O_NOFOLLOW) cannot
be written, and the pins code reads on without pinning, as in a home it may not write. That was
silent: every command after it pinned no first-seen environment, key version or signer. The
command now says so on stderr, once per lock file however many reads it makes, with the link
to remove, and still answers; once the link is gone the next command pins."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tests.server import cli as _cli
from tests.server import join, start_server
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from pathlib import Path

PINS = ("known_environments.json", "known_key_versions.json", "known_keys.json")


def _warnings(stderr: str, lock: Path) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(f"warning: {lock} is a link")]


def test_a_linked_pins_lock_is_said_once_per_command_and_the_read_goes_on(tmp_path: Path) -> None:
    server = start_server(tmp_path / "srv")
    alice, bob, work = tmp_path / "alice", tmp_path / "bob", tmp_path / "work"
    work.mkdir()
    try:
        join(server, alice, work, server.invite("alice@links.io"), "alice@links.io")
        _ok(alice, work, "init", "shop")
        _ok(alice, work, "set", "DB=dev-db", "--env", "dev")
        _ok(alice, work, "set", "DB=prod-db", "--env", "prod")
        code = _ok(alice, work, "member", "invite", "bob@links.io", "--role", "read", "-p", "shop")
        join(server, bob, work, code.strip(), "bob@links.io")
        _ok(alice, work, "member", "grant", "bob@links.io", "read", "--project", "shop")
        elsewhere = tmp_path / "elsewhere"
        locks = [bob / f"{name}.lock" for name in PINS]
        for lock in locks:
            lock.unlink(missing_ok=True)
            lock.symlink_to(elsewhere / lock.name)

        compared = _cli(bob, work, "env", "diff", "dev", "prod")  # two environments read

        assert compared.returncode == 0, compared.stderr
        assert "DB" in compared.stdout
        for lock in locks:
            [said] = _warnings(compared.stderr, lock)
            assert said.endswith(f"remove the link: rm {lock}")
        assert not (bob / "known_environments.json").exists()  # nothing pinned
        assert not elsewhere.exists()  # nor written where the links lead

        for lock in locks:
            lock.unlink()
        again = _cli(bob, work, "get", "DB", "--env", "dev")
    finally:
        server.stop()

    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "dev-db"
    assert "is a link" not in again.stderr
    pinned = json.loads((bob / "known_environments.json").read_text())
    assert any(key.endswith("|shop/dev") for key in pinned)
