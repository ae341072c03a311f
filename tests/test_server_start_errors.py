"""`envkeep server` (and `server migrate`) refusing to start says why and what to do, with an
exit code of its own for a database it cannot open (7) and an address another program listens
on (6), and the CLI's code for a failure (1) otherwise. Each runs the real command; none of
them starts a server."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.server import ENVKEEP

if TYPE_CHECKING:
    from tests.pg import PostgresServer


def _envkeep(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ENVKEEP, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={**os.environ, "ENVKEEP_HOME": str(tmp_path / "home")},
    )


def test_a_database_in_a_missing_directory_is_named_with_the_directory(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    database = f"sqlite:///{missing / 'server.db'}"
    for command in (["server", "--port", "1"], ["server", "migrate"]):
        done = _envkeep(tmp_path, *command, "--db", database)

        assert done.returncode == 7, done.stderr
        assert f"the directory {missing} does not exist" in done.stderr
        assert f"mkdir -p {missing}" in done.stderr
        assert "bug" not in done.stderr
        assert not missing.exists()


def test_migrate_makes_the_default_database_directory_under_envkeep_home(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENVKEEP_SERVER")}
    done = subprocess.run(
        [*ENVKEEP, "server", "migrate"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={**env, "ENVKEEP_HOME": str(home)},
    )

    assert done.returncode == 0, done.stderr
    assert (home / "server" / "envkeep-server.db").is_file()
    assert stat.S_IMODE((home / "server").stat().st_mode) == 0o700


def test_a_database_server_that_does_not_answer_is_named_without_its_password(
    tmp_path: Path,
) -> None:
    done = _envkeep(tmp_path, "server", "migrate", "--db", "postgresql://u:pw-x9@127.0.0.1:1/x")

    assert done.returncode == 7, done.stderr
    assert "cannot open the database postgresql://…@127.0.0.1:1/x" in done.stderr
    assert "pw-x9" not in done.stderr
    assert "Traceback" not in done.stderr


def test_a_port_in_use_is_refused_before_the_start_is_announced(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'server.db'}"
    assert _envkeep(tmp_path, "server", "migrate", "--db", database).returncode == 0
    with socket.create_server(("127.0.0.1", 0)) as taken:
        taken.listen()
        port = str(taken.getsockname()[1])

        done = _envkeep(tmp_path, "server", "--port", port, "--db", database)

    assert done.returncode == 6, done.stderr
    assert f"cannot listen on 127.0.0.1:{port}: another program uses that port" in done.stderr
    assert "envkeep server on" not in done.stdout + done.stderr


def test_a_second_server_on_one_sqlite_file_is_refused_and_the_first_goes_on(
    tmp_path: Path,
) -> None:
    from tests.ports import free_port
    from tests.server import start_server

    first = start_server(tmp_path)
    try:
        second = _envkeep(tmp_path, "server", "--port", str(free_port()), "--db", first.database)
        ready = httpx.get(f"{first.url}/readyz", timeout=5)
    finally:
        first.stop()
    again = start_server(tmp_path)  # the file is free once its server stopped
    again.stop()

    assert second.returncode == 2, second.stderr
    assert "another envkeep server serves" in second.stderr
    assert "a SQLite database takes one server process" in second.stderr
    assert "envkeep server on" not in second.stderr
    assert ready.status_code == 200


def test_bootstrap_of_a_database_never_migrated_leaves_no_file_and_says_to_migrate(
    tmp_path: Path,
) -> None:
    fresh = tmp_path / "fresh.sqlite"
    database = f"sqlite:///{fresh}"
    for command in (["server", "bootstrap", "--email", "a@x.io"], ["server", "--port", "1"]):
        done = _envkeep(tmp_path, *command, "--db", database)

        assert done.returncode == 1, done.stderr
        assert f"there is no database at {fresh}: it was never migrated" in done.stderr
        assert f"hint: make it with: envkeep server migrate --db {database}" in done.stderr
        assert not fresh.exists()


def test_a_database_url_is_shown_without_its_password_in_userinfo_or_query() -> None:
    from envkeep.api.server_database import shown_url

    assert shown_url("postgresql://u:s3cret@db/envkeep") == "postgresql://…@db/envkeep"
    assert shown_url("postgresql://db/envkeep?user=u&password=s3cret") == (
        "postgresql://db/envkeep?…"
    )
    assert shown_url("sqlite:////var/lib/envkeep/server.db") == (
        "sqlite:////var/lib/envkeep/server.db"
    )


def test_the_migrate_hint_for_a_database_shown_without_its_user_is_one_that_runs(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    """A URL with a user or a password is shown as `postgresql://…@host/db`: a hint that said
    `envkeep server migrate --db postgresql://…@host/db` could not be run as it stands."""
    database = postgres.create_database()
    try:
        done = _envkeep(tmp_path, "server", "--port", "1", "--db", database)
    finally:
        postgres.drop_database(database)

    assert done.returncode == 1, done.stderr
    assert "the database is empty (never migrated), this envkeep needs" in done.stderr
    assert "--db postgresql+psycopg://…@" not in done.stderr
    assert "hint: run: envkeep server migrate, with the --db, ENVKEEP_SERVER_DB or --config" in (
        done.stderr
    )


def test_the_migrate_hint_names_a_url_shown_whole() -> None:
    from envkeep.api.serve import migrate_command

    assert migrate_command("sqlite:////var/lib/envkeep/server.db") == (
        "envkeep server migrate --db sqlite:////var/lib/envkeep/server.db"
    )
    assert "--db" not in migrate_command("postgresql://envkeep@db.internal/envkeep").split(",")[0]
    assert "s3cret" not in migrate_command("postgresql://u:s3cret@db/envkeep?sslmode=require")


def test_a_misspelt_option_in_a_postgresql_url_is_named_not_called_a_bug(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    database = postgres.create_database()
    try:
        done = _envkeep(tmp_path, "server", "migrate", "--db", f"{database}?sslmod=require")
    finally:
        postgres.drop_database(database)

    assert done.returncode == 2, done.stderr
    assert 'invalid connection option "sslmod"' in done.stderr
    assert "hint: check the options after ? in --db" in done.stderr
    assert "bug" not in done.stderr


def test_a_database_file_this_user_cannot_write_is_refused_before_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only file (another owner, `chattr +i`): the server started, said it was ready
    and answered every request 503; `bootstrap` called it a bug. (``os.access`` stands in for
    the file's owner, since root may write a file of any mode.)"""
    from envkeep.api import serve
    from envkeep.core.errors import StoreError

    path = tmp_path / "server.db"
    database = f"sqlite:///{path}"
    serve.migrate(database)
    monkeypatch.setattr(os, "access", lambda where, _mode: Path(where) != path)
    for command in (serve.check_schema, serve.migrate):
        with pytest.raises(StoreError) as refused:
            command(database)
        assert refused.value.message.startswith(f"the database file {path} cannot be written")
        assert refused.value.hint is not None
        assert f"chown USER {path}*" in refused.value.hint


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes a file of any mode")
def test_the_server_refuses_a_read_only_database_file_with_exit_code_1(tmp_path: Path) -> None:
    path = tmp_path / "server.db"
    database = f"sqlite:///{path}"
    assert _envkeep(tmp_path, "server", "migrate", "--db", database).returncode == 0
    path.chmod(0o400)
    done = _envkeep(tmp_path, "server", "--port", "1", "--db", database)
    assert done.returncode == 1, done.stderr
    assert f"the database file {path} cannot be written by this user" in done.stderr


def test_bootstrap_on_a_full_disk_names_what_the_database_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It said "unexpected OperationalError; this is a bug in envkeep"."""
    import sqlite3

    from sqlalchemy import exc

    from envkeep.api import serve
    from envkeep.app import accounts
    from envkeep.core.errors import StoreError

    database = f"sqlite:///{tmp_path / 'server.db'}"
    serve.migrate(database)

    def full(*_args: object, **_kwargs: object) -> str:
        raise exc.OperationalError(
            "INSERT", {}, sqlite3.OperationalError("database or disk is full")
        )

    monkeypatch.setattr(accounts, "create_bootstrap_invite", full)
    with pytest.raises(StoreError) as refused:
        serve.bootstrap(database, "a@x.io")
    assert refused.value.message.endswith(": database or disk is full")
    assert refused.value.hint is not None
    assert "free space" in refused.value.hint
