"""`server migrate` (and `server --migrate`) on a SQLite file that already holds a table of the
schema's name, made by something else: the migration fails whole, nothing changed, and the
hint says a table is in the way. It said to free space on the disk or check the database
server runs, neither of which was the matter."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
from typing import TYPE_CHECKING

import pytest

from tests import ports
from tests.server import ENVKEEP, _environ

if TYPE_CHECKING:
    from pathlib import Path

    from tests.pg import PostgresServer


@pytest.mark.parametrize("start", [["server", "migrate"], ["server", "--migrate", "--port"]])
def test_a_migration_meeting_a_foreign_table_says_so_and_changes_nothing(
    tmp_path: Path, start: list[str]
) -> None:
    database = tmp_path / "server.db"
    with contextlib.closing(sqlite3.connect(database)) as connection:
        connection.execute("CREATE TABLE secret_versions (x)")
        connection.commit()
    database.chmod(0o600)
    args = [*start, str(ports.free_port())] if start[-1] == "--port" else start

    done = subprocess.run(
        [*ENVKEEP, *args, "--db", f"sqlite:///{database}"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env=_environ(tmp_path / "home"),
    )

    assert done.returncode == 1, done.stderr
    assert "table secret_versions already exists" in done.stderr
    assert "hint: the database holds tables envkeep did not make (nothing was changed)" in (
        done.stderr
    )
    assert "free space" not in done.stderr
    with contextlib.closing(sqlite3.connect(database)) as connection:
        tables = connection.execute("SELECT name FROM sqlite_master").fetchall()
    assert tables == [("secret_versions",)]


def test_a_postgresql_migration_meeting_a_foreign_table_says_so_and_changes_nothing(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    import psycopg

    database = postgres.create_database()
    try:
        with psycopg.connect(_libpq(database)) as connection:
            connection.execute("CREATE TABLE secret_versions (x int)")
        done = subprocess.run(
            [*ENVKEEP, "server", "migrate", "--db", database],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
            env=_environ(tmp_path / "home"),
        )
        with psycopg.connect(_libpq(database)) as connection:
            tables = connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
    finally:
        postgres.drop_database(database)

    assert done.returncode == 1, done.stderr
    assert 'relation "secret_versions" already exists' in done.stderr
    assert "hint: the database holds tables envkeep did not make" in done.stderr
    assert "a bug in envkeep" not in done.stderr
    assert tables == [("secret_versions",)]


def _libpq(database: str) -> str:
    """``database`` as libpq takes it: without SQLAlchemy's ``+psycopg`` driver name."""
    return database.replace("postgresql+psycopg://", "postgresql://", 1)
