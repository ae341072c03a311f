"""The embedded store is upgraded by the first command that opens it after an upgrade of
envkeep, with no `migrate` step at which to take a backup: the copy from before is kept beside
it, and the command says so, since an older envkeep cannot open the store any more."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from envkeep.store.engine import open_engine, sqlite_url
from envkeep.store.migrate import upgrade
from envkeep.store.schema_version import HEAD_REVISION
from envkeep.store.upgrade_copy import keep_before_upgrade
from tests.cli.conftest import Envkeep

if TYPE_CHECKING:
    from pathlib import Path


def _store_at(path: Path, revision: str) -> None:
    path.parent.mkdir(parents=True)
    engine = open_engine(sqlite_url(path))
    try:
        upgrade(engine, revision)
    finally:
        engine.dispose()


def _revision(path: Path) -> str:
    connection = sqlite3.connect(path)
    try:
        return str(connection.execute("SELECT version_num FROM alembic_version").fetchone()[0])
    finally:
        connection.close()


def test_an_older_store_is_copied_before_its_upgrade_and_the_command_says_where(
    tmp_path: Path,
) -> None:
    envkeep = Envkeep(tmp_path / "home", tmp_path)
    store = tmp_path / "home" / "store" / "envkeep.db"
    _store_at(store, "0005")
    result = envkeep.ok("init", "shop", "--yes")
    kept = store.with_name("envkeep.db.schema-0005.bak")
    assert _revision(store) == HEAD_REVISION
    assert _revision(kept) == "0005"
    assert kept.stat().st_mode & 0o077 == 0
    note = [line for line in result.err_lines if line.startswith("note: upgraded the store")]
    assert len(note) == 1, result.describe()
    assert f"from schema 0005 to {HEAD_REVISION}" in note[0]
    assert str(kept) in note[0]
    again = envkeep.ok("env", "list")  # once: the store is current now
    assert "upgraded the store" not in again.stderr


def test_a_current_empty_or_missing_store_is_not_copied(tmp_path: Path) -> None:
    store = tmp_path / "store" / "envkeep.db"
    assert keep_before_upgrade(store) is None
    _store_at(store, HEAD_REVISION)
    assert keep_before_upgrade(store) is None
    assert [p.name for p in store.parent.iterdir()] == ["envkeep.db"]


def test_a_store_an_early_envkeep_made_world_readable_is_its_owners_alone_once_upgraded(
    tmp_path: Path,
) -> None:
    envkeep = Envkeep(tmp_path / "home", tmp_path)
    store = tmp_path / "home" / "store" / "envkeep.db"
    _store_at(store, "0005")
    store.chmod(0o644)  # as envkeep 0.1 made it

    envkeep.ok("init", "shop", "--yes")

    assert store.stat().st_mode & 0o777 == 0o600
