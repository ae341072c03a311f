"""`envkeep server --migrate` (or ENVKEEP_SERVER_MIGRATE=1, or `migrate = true` in the settings
file): a database behind this envkeep's schema, a fresh one included, is migrated and then
served. Without it the start is refused as before, its hint naming both ways to migrate. Real
processes, on real SQLite files and PostgreSQL databases."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import sys
from typing import TYPE_CHECKING

import httpx
import pytest

from envkeep.store.schema_version import HEAD_REVISION
from tests import ports
from tests.server import ENVKEEP, SIGTERM_WHILE_IMPORTING, _environ, _start_on

if TYPE_CHECKING:
    from pathlib import Path

    from tests.pg import PostgresServer
    from tests.server import TeamServer


def _refused(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ENVKEEP, "server", "--port", str(ports.free_port()), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env=_environ(tmp_path / "home", **extra),
    )


def _served(tmp_path: Path, database: str, *args: str, **extra: str) -> TeamServer:
    """The server started on ``database`` with ``args`` and ``extra`` variables, once ready."""
    log = tmp_path / "server.log"
    for _ in range(ports.STARTS):
        started = _start_on(
            ports.free_port(), database, _environ(tmp_path / "home", **extra), log, args
        )
        if started is not None:
            return started
    raise AssertionError(f"no free port: {log.read_text()}")


def test_a_fresh_sqlite_file_is_refused_with_both_ways_to_migrate(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.db"
    done = _refused(tmp_path, "--db", f"sqlite:///{fresh}")

    assert done.returncode == 1, done.stderr
    assert f"hint: make it with: envkeep server migrate --db sqlite:///{fresh}" in done.stderr
    assert "or start with --migrate (ENVKEEP_SERVER_MIGRATE=1, or migrate = true" in done.stderr
    assert not fresh.exists()


@pytest.mark.parametrize("given", ["flag", "variable", "file"])
def test_a_fresh_sqlite_file_is_migrated_then_served_when_asked(tmp_path: Path, given: str) -> None:
    fresh = tmp_path / "fresh.db"
    settings = tmp_path / "server.toml"
    settings.write_text("migrate = true\n")
    args = {"flag": ("--migrate",), "variable": (), "file": ("--config", str(settings))}[given]
    extra = {"ENVKEEP_SERVER_MIGRATE": "1"} if given == "variable" else {}

    server = _served(tmp_path, f"sqlite:///{fresh}", *args, **extra)
    try:
        ready = httpx.get(f"{server.url}/readyz", timeout=10)
    finally:
        server.stop()

    assert ready.json() == {"status": "ready"}
    said = server.log.read_text()
    assert f"database schema: empty -> {HEAD_REVISION} (sqlite:///{fresh})" in said
    assert said.index("database schema:") < said.index("server_started")


def test_no_migrate_flag_overrides_the_variable_and_the_start_is_refused(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.db"
    done = _refused(
        tmp_path, "--no-migrate", "--db", f"sqlite:///{fresh}", ENVKEEP_SERVER_MIGRATE="1"
    )

    assert done.returncode == 1, done.stderr
    assert "it was never migrated" in done.stderr
    assert not fresh.exists()


def test_the_variable_overrides_the_settings_file(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.db"
    settings = tmp_path / "server.toml"
    settings.write_text("migrate = true\n")
    done = _refused(
        tmp_path,
        "--config",
        str(settings),
        "--db",
        f"sqlite:///{fresh}",
        ENVKEEP_SERVER_MIGRATE="off",
    )

    assert done.returncode == 1, done.stderr
    assert "it was never migrated" in done.stderr


@pytest.mark.parametrize(
    ("file_text", "variable", "said"),
    [
        ("", "maybe", "ENVKEEP_SERVER_MIGRATE must be 1 or 0 (or true, false)"),
        ('migrate = "yes"\n', "", "setting 'migrate' in"),
    ],
    ids=["variable", "file"],
)
def test_a_migrate_setting_that_is_no_switch_is_a_usage_error(
    tmp_path: Path, file_text: str, variable: str, said: str
) -> None:
    settings = tmp_path / "server.toml"
    settings.write_text(file_text)
    fresh = tmp_path / "fresh.db"
    done = _refused(
        tmp_path,
        "--config",
        str(settings),
        "--db",
        f"sqlite:///{fresh}",
        ENVKEEP_SERVER_MIGRATE=variable,
    )

    assert done.returncode == 2, done.stderr
    assert said in done.stderr
    assert not fresh.exists()


def test_migrate_is_refused_as_an_option_of_a_subcommand(tmp_path: Path) -> None:
    done = subprocess.run(
        [*ENVKEEP, "server", "--migrate", "bootstrap", "--email", "a@x.io"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env=_environ(tmp_path / "home"),
    )

    assert done.returncode == 2, done.stderr
    assert "--migrate: only for serving" in done.stderr


def test_an_empty_postgresql_database_is_migrated_then_served_with_migrate(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    database = postgres.create_database()
    try:
        server = _served(tmp_path, database, "--migrate")
        try:
            ready = httpx.get(f"{server.url}/readyz", timeout=10)
        finally:
            server.stop()
    finally:
        postgres.drop_database(database)

    assert ready.json() == {"status": "ready"}
    assert f"database schema: empty -> {HEAD_REVISION}" in server.log.read_text()


def test_a_second_start_with_migrate_leaves_a_current_database_as_it_is(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'server.db'}"
    _served(tmp_path, database, "--migrate").stop()
    second = _served(tmp_path, database, "--migrate")
    second.stop()

    assert f"database schema: {HEAD_REVISION} -> {HEAD_REVISION}" in second.log.read_text()


def test_a_sigterm_while_starting_with_migrate_stops_it_after_the_whole_migration(
    tmp_path: Path,
) -> None:
    """The SIGTERM is held through the migration (never half done), then ends the start: 143."""
    fresh = tmp_path / "fresh.db"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            SIGTERM_WHILE_IMPORTING,
            "server",
            "--migrate",
            "--port",
            str(ports.free_port()),
            "--db",
            f"sqlite:///{fresh}",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env=_environ(tmp_path / "home"),
    )

    assert done.returncode == 143, done.stderr
    assert f"database schema: empty -> {HEAD_REVISION}" in done.stderr
    assert "server_start_stopped" in done.stderr
    with contextlib.closing(sqlite3.connect(fresh)) as connection:
        stored = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    assert stored == [(HEAD_REVISION,)]
