"""Pins in a home this user cannot write, the lock file no link (a read-only directory, a
pins path that is a directory). `member verify`, whose one change is the pin, failed with a
raw path error; it is refused as an envkeep error saying which file could not be written and
what to do, nothing written."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.core.errors import LocalFileUnwritable
from tests.server import cli as _cli
from tests.server import join, start_server
from tests.server import quick_ok as _ok
from tests.unwritable import unwritable

if TYPE_CHECKING:
    from pathlib import Path

    from tests.server import TeamServer


def _told(home: Path, work: Path) -> str:
    """The fingerprint ``home``'s owner reads out (`whoami --fingerprint`), as typed."""
    return "".join(_ok(home, work, "whoami", "--fingerprint").split()[-8:])


def _team(server: TeamServer, tmp_path: Path, *members: str) -> tuple[Path, Path, list[Path]]:
    """alice, admin of project shop, and ``members`` who joined it with a read role."""
    alice, work = tmp_path / "alice", tmp_path / "work"
    work.mkdir()
    join(server, alice, work, server.invite("alice@pins.io"), "alice@pins.io")
    _ok(alice, work, "init", "shop")
    homes = []
    for email in members:
        home = tmp_path / email.split("@")[0]
        code = _ok(alice, work, "member", "invite", email, "--role", "read", "-p", "shop")
        join(server, home, work, code.strip(), email)
        homes.append(home)
    return alice, work, homes


def _files(home: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(home.iterdir()) if p.is_file()}


def test_member_verify_in_a_read_only_home_is_refused_saying_which_file_nothing_written(
    tmp_path: Path,
) -> None:
    server = start_server(tmp_path / "srv")
    try:
        alice, work, (bob, carol) = _team(server, tmp_path, "bob@pins.io", "carol@pins.io")
        _ok(alice, work, "member", "verify", "carol@pins.io", "--fingerprint", _told(carol, work))
        keys = alice / "known_keys.json"
        assert (alice / "known_keys.json.lock").is_file()  # no link: a plain lock file
        before = _files(alice)
        told = _told(bob, work)
        with unwritable(alice):
            refused = _cli(alice, work, "member", "verify", "bob@pins.io", "--fingerprint", told)
        after = _files(alice)
        again = _cli(alice, work, "member", "verify", "bob@pins.io", "--fingerprint", told)
    finally:
        server.stop()

    assert refused.returncode == LocalFileUnwritable.exit_code == 1, refused.stderr
    lines = refused.stderr.splitlines()
    assert lines[0].startswith(f"error: {keys} could not be written (")
    assert lines[0].endswith("so the key was not pinned: nothing was changed")
    assert lines[1] == (
        f"hint: make {alice} and the file writable for this user (or set ENVKEEP_HOME to a home"
        " it can write), then run this command again"
    )
    assert len(lines) == 2
    assert after == before  # nothing half-written, no temporary file left
    assert again.returncode == 0, again.stderr  # writable again, it pins
    assert "pinned here already" not in again.stderr + again.stdout


def test_env_create_in_a_read_only_home_says_once_that_its_pin_was_not_written(
    tmp_path: Path,
) -> None:
    server = start_server(tmp_path / "srv")
    try:
        alice, work, _ = _team(server, tmp_path)
        _ok(alice, work, "set", "DB=dev-db", "--env", "dev")
        _ok(alice, work, "get", "DB", "--env", "dev")  # the environments' pins file made
        environments = alice / "known_environments.json"
        before = environments.read_bytes()
        with unwritable(alice):
            created = _cli(alice, work, "env", "create", "qa")
        after = environments.read_bytes()
        _ok(alice, work, "set", "DB=qa-db", "--env", "qa")  # read, then pinned
    finally:
        server.stop()

    assert created.returncode == 0, created.stderr
    assert "created environment 'qa'" in created.stdout + created.stderr
    warned = [line for line in created.stderr.splitlines() if line.startswith("warning:")]
    assert len(warned) == 1, created.stderr
    assert warned[0].startswith(f"warning: {environments} could not be written (")
    assert warned[0].endswith(
        "so the environment 'shop/qa', which this command made, was not pinned: the one the"
        " server answers under that name is pinned as it is next read; make it writable for"
        " this user"
    )
    assert "qa" in (work / "envkeep.toml").read_text()
    assert after == before
    assert "|shop/qa" in environments.read_text()


def test_service_add_in_a_read_only_home_says_once_that_its_pin_was_not_written(
    tmp_path: Path,
) -> None:
    server = start_server(tmp_path / "srv")
    try:
        alice, work, _ = _team(server, tmp_path)
        (work / "api").mkdir()
        _ok(alice, work, "service", "add", "web", "--path", "api")  # the pins file made
        services = alice / "known_services.json"
        before = services.read_bytes()
        (work / "worker").mkdir()
        with unwritable(alice):
            added = _cli(alice, work, "service", "add", "worker", "--path", "worker")
        after = services.read_bytes()
    finally:
        server.stop()

    assert added.returncode == 0, added.stderr
    warned = [line for line in added.stderr.splitlines() if line.startswith("warning:")]
    assert len(warned) == 1, added.stderr
    assert warned[0].startswith(f"warning: {services} could not be written (")
    assert "so the service 'shop/worker', which this command made, was not pinned" in warned[0]
    assert "worker" in (work / "envkeep.toml").read_text()
    assert after == before
