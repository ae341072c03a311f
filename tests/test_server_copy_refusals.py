"""`envkeep server copy` writes nothing it cannot finish: a target holding data, a source
behind the code's schema or held by a running server are refused before a row is written,
and a copy that fails halfway leaves the target without a row of it."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, inspect, select

from envkeep.api.server_copies import copy_server
from envkeep.core.errors import StoreError
from envkeep.store.engine import open_engine
from envkeep.store.migrate import upgrade
from envkeep.store.schema_version import HEAD_REVISION
from envkeep.store.server_copy import REPLACED, TABLES
from tests.server import cli, join, quick_ok, start_server

if TYPE_CHECKING:
    from pathlib import Path

    from tests.pg import PostgresServer


def _rows(database: str) -> dict[str, int]:
    """Rows per table of a database (none for a database without the tables)."""
    engine = open_engine(database)
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("principals"):
                return {}
            return {
                t.name: int(connection.execute(select(func.count()).select_from(t)).scalar_one())
                for t in TABLES
            }
    finally:
        engine.dispose()


def _team_database(root: Path) -> str:
    """A SQLite server database with a workspace, values and a trail (the server stopped)."""
    server = start_server(root)
    alice, work = root / "alice", root / "work"
    work.mkdir()
    try:
        join(server, alice, work, server.invite("alice@refuse.io"), "alice@refuse.io")
        quick_ok(alice, work, "init", "shop")
        quick_ok(alice, work, "set", "A=1", "B=2", "--env", "dev")
    finally:
        server.stop()
    return server.database


@pytest.fixture(scope="module")
def team_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _team_database(tmp_path_factory.mktemp("copy-source"))


def _copy(root: Path, source: str, target: str) -> tuple[int, str]:
    done = cli(root / "ops", root, "server", "copy", "--db", source, "--to", target)
    return done.returncode, done.stderr


def test_a_target_holding_a_servers_data_is_refused_and_left_as_it_was(
    tmp_path: Path, team_database: str, postgres: PostgresServer
) -> None:
    target = postgres.create_database()
    try:
        first = _copy(tmp_path, team_database, target)
        before = _rows(target)
        again = _copy(tmp_path, team_database, target)
        after = _rows(target)
    finally:
        postgres.drop_database(target)

    assert first[0] == 0, first[1]
    assert again[0] == 2, again[1]
    assert again[1].startswith("error: the target already holds data (rows in principals,")
    assert "nothing was written" in again[1]
    assert "hint: give --to a new, empty database" in again[1]
    assert after == before
    assert before["principals"] == 1


def test_a_source_behind_the_schema_is_refused_with_the_migrate_command(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    source = f"sqlite:///{tmp_path / 'old.db'}"
    engine = open_engine(source)
    upgrade(engine, "0012")
    engine.dispose()
    target = postgres.create_database()
    try:
        code, said = _copy(tmp_path, source, target)
        left = _rows(target)
    finally:
        postgres.drop_database(target)

    assert code == 1, said
    assert f"error: the database is at schema 0012, this envkeep needs {HEAD_REVISION}" in said
    assert f"hint: run: envkeep server migrate --db {source}" in said
    assert left == {}  # not even migrated


def test_a_source_a_running_server_holds_is_refused(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    server = start_server(tmp_path)
    target = postgres.create_database()
    try:
        code, said = _copy(tmp_path, server.database, target)
        left = _rows(target)
    finally:
        server.stop()
        postgres.drop_database(target)

    assert code == 2, said
    assert f"error: an envkeep server serves the source {server.database}" in said
    assert "hint: stop that server first" in said
    assert left == {}


def test_a_copy_that_fails_halfway_leaves_the_target_without_a_row_of_it(
    tmp_path: Path, team_database: str, postgres: PostgresServer
) -> None:
    """A role longer than PostgreSQL's column (SQLite never checks a length) fails the copy at
    role_bindings, after the tables before it went over in several batches."""
    source = tmp_path / "broken.db"
    source.write_bytes(sqlite3.connect(team_database.removeprefix("sqlite:///")).serialize())
    with sqlite3.connect(source) as edit:
        edit.execute("UPDATE role_bindings SET role = ?", ("a" * 40,))
    edit.close()
    target = postgres.create_database()
    seen: list[tuple[str, int]] = []
    try:
        with pytest.raises(StoreError) as failed:
            copy_server(f"sqlite:///{source}", target, batch=2,
                        progress=lambda table, rows: seen.append((table, rows)))  # fmt: skip
        left = _rows(target)
        code, said = _copy(tmp_path, f"sqlite:///{source}", target)
    finally:
        postgres.drop_database(target)

    assert str(failed.value).startswith("the target refused a row of role_bindings: value too long")
    assert str(failed.value).endswith("; nothing was written")
    assert ("audit_events", 4) in seen  # more than one batch went in before
    assert {table for table, _ in seen} >= {"principals", "workspaces", "audit_events"}
    assert {name: n for name, n in left.items() if name not in REPLACED} == dict.fromkeys(
        (t.name for t in TABLES if t.name not in REPLACED), 0
    )
    assert left["server_secrets"] == 1  # migrate's own, as on any migrated database
    assert code == 1  # the same failure again: the empty, migrated target is taken again
    assert "refused a row of role_bindings" in said
