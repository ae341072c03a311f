"""The server's SQLite file holds Argon2id hashes, wrapped private keys, emails, addresses and
the audit trail: envkeep makes it 0600 (its -wal and -shm files follow), and `envkeep server`
and `server migrate` warn of an existing one others may read."""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING

from sqlalchemy import text

from envkeep.api.server_database import loose_database_file
from envkeep.store.engine import open_engine, sqlite_url
from envkeep.store.migrate import upgrade
from tests.server import cli, start_server

if TYPE_CHECKING:
    from pathlib import Path


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_database_file_and_its_wal_and_shm_are_0600(tmp_path: Path) -> None:
    path = tmp_path / "server.db"
    old = os.umask(0o022)  # the usual one, which gave 0644
    try:
        engine = open_engine(sqlite_url(path))
        upgrade(engine)
        with engine.connect() as connection:  # the WAL files exist while a connection is open
            connection.execute(text("SELECT count(*) FROM principals"))
            made = {p.name: _mode(p) for p in tmp_path.iterdir()}
        engine.dispose()
    finally:
        os.umask(old)
    assert made == {"server.db": 0o600, "server.db-wal": 0o600, "server.db-shm": 0o600}


def test_an_existing_database_file_keeps_its_mode_and_a_loose_one_is_warned_of(
    tmp_path: Path,
) -> None:
    path = tmp_path / "server.db"
    path.touch(mode=0o640)
    path.chmod(0o640)
    engine = open_engine(sqlite_url(path))
    upgrade(engine)
    engine.dispose()
    assert _mode(path) == 0o640
    warning = loose_database_file(sqlite_url(path))
    assert warning is not None
    assert f"{path} is open to others than its owner (mode 0640)" in warning
    assert f"chmod 600 {path}*" in warning
    path.chmod(0o600)
    assert loose_database_file(sqlite_url(path)) is None
    assert loose_database_file("postgresql://u@db/e") is None


def test_the_server_starts_on_a_loose_file_but_warns(tmp_path: Path) -> None:
    path = tmp_path / "server.db"
    path.touch()
    path.chmod(0o644)
    server = start_server(tmp_path, sqlite_url(path))
    server.stop()
    assert f"warning: the database file {path} is open to others" in server.log.read_text()


def test_migrate_warns_of_a_loose_file_but_not_of_the_one_it_made(tmp_path: Path) -> None:
    path = tmp_path / "server.db"
    migrate = ("server", "migrate", "--db", sqlite_url(path))
    made = cli(tmp_path / "home", tmp_path, *migrate)
    assert made.returncode == 0, made.stderr
    assert "warning" not in made.stderr
    path.chmod(0o644)
    done = cli(tmp_path / "home", tmp_path, *migrate)
    assert done.returncode == 0, done.stderr
    assert f"warning: the database file {path} is open to others than its owner (mode 0644)" in (
        done.stderr
    )
    assert f"chmod 600 {path}*" in done.stderr
