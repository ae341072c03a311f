"""An environment's key version only rises (`key_version_pins`): a server that answers, after a
rotation, with the older key as the current one is refused for reads and writes, so that no
value written afterwards is encrypted under a key whom the rotation cut off may hold; `env
trust` accepts it after a restore from a backup."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

import pytest

from tests.server import TeamServer, join, start_server
from tests.server import cli as _cli
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("key-version-pins"))
    yield running
    running.stop()


def _keep_state(server: TeamServer, copy: Path) -> None:
    """A copy of the server's database as it is now (before a rotation)."""
    source = sqlite3.connect(server.database.removeprefix("sqlite:///"))
    target = sqlite3.connect(copy)
    source.backup(target)
    target.close()
    source.close()


def _roll_key_back(server: TeamServer, copy: Path) -> None:
    """The server's lie: its environments, their secrets and key shares as ``copy`` kept
    them, before the rotation; the rest (accounts, audit) as it is now."""
    connection = sqlite3.connect(server.database.removeprefix("sqlite:///"))
    connection.execute("ATTACH DATABASE ? AS kept", (str(copy),))
    with connection:
        for table in ("secret_versions", "secrets", "data_key_shares"):
            connection.execute(f"DELETE FROM {table}")  # noqa: S608 (the tables named above)
        for table in ("secrets", "secret_versions", "data_key_shares"):
            connection.execute(f"INSERT INTO {table} SELECT * FROM kept.{table}")  # noqa: S608
        connection.execute(
            "UPDATE environments SET revision = revision + 1,"
            " key_version = (SELECT k.key_version FROM kept.environments k"
            " WHERE k.id = environments.id)"
        )
    connection.close()


def _dev_id(server: TeamServer) -> str:
    connection = sqlite3.connect(server.database.removeprefix("sqlite:///"))
    found = connection.execute(
        "SELECT e.id FROM environments e JOIN projects p ON p.id = e.project_id"
        " WHERE e.name = 'dev' ORDER BY e.created_at DESC LIMIT 1"
    ).fetchone()
    connection.close()
    return str(found[0])


def _values_under_key_1(server: TeamServer, env_id: str) -> int:
    connection = sqlite3.connect(server.database.removeprefix("sqlite:///"))
    (count,) = connection.execute(
        "SELECT count(*) FROM secret_versions v JOIN secrets s ON s.id = v.secret_id"
        " WHERE s.environment_id = ? AND v.key_version = 1",
        (env_id,),
    ).fetchone()
    connection.close()
    return int(count)


def test_a_key_rolled_back_after_a_rotation_is_refused_and_nothing_is_written_under_it(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, bob, work = tmp_path / "alice", tmp_path / "bob", tmp_path / "work"
    work.mkdir()
    join(server, alice, work, server.invite("alice@rollback.io"), "alice@rollback.io")
    _ok(alice, work, "init", "shop")
    _ok(alice, work, "set", "DB=old", "--env", "dev")
    code = _ok(alice, work, "member", "invite", "bob@rollback.io", "--role", "read", "-p", "shop")
    join(server, bob, work, code.strip(), "bob@rollback.io")
    _ok(alice, work, "member", "seal", "bob@rollback.io")
    _keep_state(server, tmp_path / "before-rotation.db")
    _ok(alice, work, "env", "rotate-key", "dev")
    _ok(bob, work, "get", "DB", "--env", "dev")  # bob reads key 2
    env_id = _dev_id(server)
    _roll_key_back(server, tmp_path / "before-rotation.db")
    before = _values_under_key_1(server, env_id)

    write = _cli(alice, work, "set", "NEW=written-after-the-rotation", "--env", "dev")
    read = _cli(bob, work, "get", "DB", "--env", "dev")

    for done in (write, read):
        assert done.returncode == 1, done.stderr
        assert "with key version 1, but this machine has read or made key version 2" in (
            done.stderr
        )
        assert "envkeep env trust dev --project shop" in done.stderr
    assert read.stdout == ""
    assert _values_under_key_1(server, env_id) == before  # the write never went

    trusted = _cli(bob, work, "env", "trust", "dev")
    assert trusted.returncode == 0, trusted.stderr
    assert _ok(bob, work, "get", "DB", "--env", "dev") == "old\n"
