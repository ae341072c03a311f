"""A directory where a pins file belongs (`mkdir known_keys.json`, a volume mounted there)
made every read fail with the raw "Is a directory" and the hint "give the path of a file",
for a path the user never gave. It is refused as an envkeep error (not_a_file, exit 1) saying
what the file holds and to move the directory aside, never to delete it; a pin that follows a
change made on the server says the same and goes on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.core.errors import NotAFile
from tests.server import cli as _cli
from tests.server import join, start_server
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from pathlib import Path


def test_a_pins_file_that_is_a_directory_is_refused_with_the_mv_that_moves_it_aside(
    tmp_path: Path,
) -> None:
    server = start_server(tmp_path / "srv")
    alice, work = tmp_path / "alice", tmp_path / "work"
    work.mkdir()
    try:
        join(server, alice, work, server.invite("alice@dirs.io"), "alice@dirs.io")
        _ok(alice, work, "init", "shop")
        _ok(alice, work, "set", "DB=dev-db", "--env", "dev")
        _ok(alice, work, "set", "DB=staging-db", "--env", "staging")
        _ok(alice, work, "get", "DB", "--env", "staging")  # pinned here
        environments = alice / "known_environments.json"
        environments.unlink()
        environments.mkdir()
        (environments / "notes.txt").write_text("mine\n")
        read = _cli(alice, work, "get", "DB", "--env", "dev")
        deleted = _cli(alice, work, "env", "delete", "staging", "--yes")  # after the server's
        environments.rename(tmp_path / "aside")
        listed = _ok(alice, work, "env", "list")
        again = _cli(alice, work, "get", "DB", "--env", "dev")
    finally:
        server.stop()

    assert read.returncode == NotAFile.exit_code == 1, read.stderr
    assert read.stdout == ""
    said = (
        f"error: {environments} is a directory, not a file: it should hold the environments"
        " this machine pinned"
    )
    hint = (
        f"hint: move it aside and look at what it holds: mv {environments} {environments}.aside;"
        " then run this command again (each environment is pinned again as it is next read)"
    )
    assert read.stderr.splitlines() == [said, hint]
    assert deleted.returncode == 0, deleted.stderr
    assert f"warning: {environments} could not be written (Is a directory" in deleted.stderr
    [warned] = [line for line in deleted.stderr.splitlines() if line.startswith("warning:")]
    assert warned.endswith(
        f"move it aside and look at what it holds: mv {environments} {environments}.aside"
    )
    assert "staging" not in listed
    assert (tmp_path / "aside" / "notes.txt").read_text() == "mine\n"  # kept, never deleted
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "dev-db"
