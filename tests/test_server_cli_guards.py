"""`envkeep server` and its subcommands take what the operator wrote or refuse it: the group's
--db reaches `migrate` and `bootstrap`, serving options given to them are usage errors, and a
port or database URL the server cannot use is refused as such (exit 2), never "this is a bug"
or a dead end. Each runs the real command."""

from __future__ import annotations

import sqlite3
import stat
from typing import TYPE_CHECKING

import pytest

from envkeep.store.engine import open_engine, sqlite_url
from envkeep.store.migrate import current_revision
from envkeep.store.schema_version import HEAD_REVISION
from tests.server import cli

if TYPE_CHECKING:
    from pathlib import Path


def _revision(path: Path) -> str | None:
    engine = open_engine(sqlite_url(path))
    try:
        return current_revision(engine)
    finally:
        engine.dispose()


def test_the_groups_db_reaches_migrate_and_bootstrap(tmp_path: Path) -> None:
    home, chosen = tmp_path / "home", tmp_path / "chosen.db"
    done = cli(home, tmp_path, "server", "--db", sqlite_url(chosen), "migrate")
    assert done.returncode == 0, done.stderr
    assert _revision(chosen) == HEAD_REVISION
    code = cli(
        home, tmp_path, "server", "--db", sqlite_url(chosen), "bootstrap", "--email", "a@x.io"
    )
    assert code.returncode == 0, code.stderr
    assert code.stdout.startswith("ek_inv_")
    assert "replaces" not in code.stderr
    assert not (home / "server").exists()  # the default database was never touched
    again = cli(
        home, tmp_path, "server", "--db", sqlite_url(chosen), "bootstrap", "--email", "b@x.io"
    )
    assert again.returncode == 0, again.stderr
    assert "replaces the earlier code made for a@x.io, which no longer works" in again.stderr


def test_the_same_db_before_and_after_the_subcommand_is_taken(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "one.db")
    done = cli(tmp_path / "home", tmp_path, "server", "--db", url, "migrate", "--db", url)
    assert done.returncode == 0, done.stderr


def test_two_different_dbs_before_and_after_the_subcommand_are_refused(tmp_path: Path) -> None:
    one, other = sqlite_url(tmp_path / "one.db"), sqlite_url(tmp_path / "other.db")
    done = cli(tmp_path / "home", tmp_path, "server", "--db", one, "migrate", "--db", other)
    assert done.returncode == 2
    assert "--db is given twice, differently: before and after `migrate`" in done.stderr
    assert not (tmp_path / "one.db").exists()
    assert not (tmp_path / "other.db").exists()


@pytest.mark.parametrize(
    "serving",
    [
        ["--port", "9000"],
        ["--host", "10.0.0.1"],
        ["--rate", "1"],
        ["--rate-store", "memory"],
        ["--trusted-proxies", "10.0.0.5"],
        ["--shutdown-timeout", "5"],
        ["--cors-origin", "https://app.example.com"],
    ],
)
@pytest.mark.parametrize("command", [["migrate"], ["bootstrap", "--email", "a@x.io"]])
def test_serving_options_given_to_a_subcommand_are_refused(
    tmp_path: Path, serving: list[str], command: list[str]
) -> None:
    url = sqlite_url(tmp_path / "one.db")
    done = cli(tmp_path / "home", tmp_path, "server", *serving, "--db", url, *command)
    assert done.returncode == 2
    assert f"{serving[0]}: only for serving (`envkeep server`), not `server {command[0]}`" in (
        done.stderr
    )
    assert f"hint: of `server`'s options, {command[0]} takes only --db and --config" in done.stderr
    assert not (tmp_path / "one.db").exists()


@pytest.mark.parametrize("port", ["70000", "-1", "65536", "0"])
def test_a_port_flag_outside_1_to_65535_is_a_usage_error(tmp_path: Path, port: str) -> None:
    done = cli(tmp_path / "home", tmp_path, "server", "--port", port)
    assert done.returncode == 2
    assert f"error: --port must be a port number (1-65535), not {port}\n" in done.stderr
    assert "bug" not in done.stderr
    assert "envkeep server on" not in done.stderr


BAD_URLS = [
    pytest.param("mysql://u:pw-x9@db/envkeep", "cannot use a 'mysql' database", id="mysql"),
    pytest.param("postgresql+psycopg2://u:pw-x9@db/e", "'postgresql+psycopg2'", id="psycopg2"),
    pytest.param("nonsense-pw-x9", "the server's database is not a URL", id="not a URL"),
    pytest.param("sqlite://", "cannot be SQLite in memory", id="sqlite in memory"),
    pytest.param("sqlite:///:memory:", "cannot be SQLite in memory", id="sqlite :memory:"),
]


@pytest.mark.parametrize(("url", "says"), BAD_URLS)
@pytest.mark.parametrize(
    "command", [["--port", "1"], ["migrate"], ["bootstrap", "--email", "a@x.io"]], ids=" ".join
)
def test_a_database_url_the_server_cannot_use_is_a_usage_error_naming_what_it_can(
    tmp_path: Path, url: str, says: str, command: list[str]
) -> None:
    done = cli(tmp_path / "home", tmp_path, "server", "--db", url, *command)
    assert done.returncode == 2, done.stderr
    assert says in done.stderr
    assert "sqlite:///PATH" in done.stderr
    assert "postgresql://" in done.stderr or "in memory" in done.stderr
    assert "pw-x9" not in done.stderr
    assert "bug" not in done.stderr


def _ahead(tmp_path: Path) -> str:
    """A database a newer envkeep migrated: one revision past this one's head."""
    path = tmp_path / "newer.db"
    url = sqlite_url(path)
    assert cli(tmp_path / "home", tmp_path, "server", "migrate", "--db", url).returncode == 0
    newer = f"{int(HEAD_REVISION) + 1:04d}"
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = ?", (newer,))
    connection.close()
    return url


@pytest.mark.parametrize(
    "command", [["--port", "1"], ["migrate"], ["bootstrap", "--email", "a@x.io"]], ids=" ".join
)
def test_a_database_a_newer_envkeep_migrated_is_refused_saying_so(
    tmp_path: Path, command: list[str]
) -> None:
    url = _ahead(tmp_path)
    newer = f"{int(HEAD_REVISION) + 1:04d}"
    done = cli(tmp_path / "home", tmp_path, "server", "--db", url, *command)
    assert done.returncode == 2, done.stderr
    assert f"this database was migrated by a newer envkeep (schema {newer};" in done.stderr
    assert "hint: run the envkeep that migrated it, or restore the backup" in done.stderr
    assert "server migrate" not in done.stderr
    assert "bug" not in done.stderr
    assert _revision(tmp_path / "newer.db") == newer  # migrate left it alone


def test_migrate_makes_the_database_file_private(tmp_path: Path) -> None:
    path = tmp_path / "server.db"
    done = cli(tmp_path / "home", tmp_path, "server", "migrate", "--db", sqlite_url(path))
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_groups_db_reaches_backup(tmp_path: Path) -> None:
    home, chosen, out = tmp_path / "home", tmp_path / "chosen.db", tmp_path / "copy.db"
    assert cli(home, tmp_path, "server", "--db", sqlite_url(chosen), "migrate").returncode == 0
    done = cli(home, tmp_path, "server", "--db", sqlite_url(chosen), "backup", str(out))
    assert done.returncode == 0, done.stderr
    assert f"backed up {sqlite_url(chosen)} to {out}" in done.stderr
    assert not (home / "server").exists()
