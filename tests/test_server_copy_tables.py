"""`envkeep server copy` copies the tables of the models' metadata (`server_copy.TABLES`): a
table or column a migration adds without its model would be skipped without a word. The
migrated schema and the copy's list must name the same tables and columns."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import inspect

from envkeep.api import serve
from envkeep.store.engine import open_engine
from envkeep.store.server_copy import TABLES

if TYPE_CHECKING:
    from pathlib import Path

    from tests.pg import PostgresServer

ALEMBIC = "alembic_version"  # the schema's revision: each side's own, written by migrate


def _migrated_columns(database: str) -> dict[str, set[str]]:
    serve.migrate(database)
    engine = open_engine(database)
    try:
        found = inspect(engine)
        return {
            name: {c["name"] for c in found.get_columns(name)}
            for name in found.get_table_names()
            if name != ALEMBIC
        }
    finally:
        engine.dispose()


def _copied_columns() -> dict[str, set[str]]:
    return {t.name: {c.name for c in t.columns} for t in TABLES}


def test_the_copy_names_every_table_and_column_of_a_migrated_sqlite_database(
    tmp_path: Path,
) -> None:
    assert _migrated_columns(f"sqlite:///{tmp_path / 'server.db'}") == _copied_columns()


def test_the_copy_names_every_table_and_column_of_a_migrated_postgresql_database(
    postgres: PostgresServer,
) -> None:
    database = postgres.create_database()
    try:
        migrated = _migrated_columns(database)
    finally:
        postgres.drop_database(database)
    assert migrated == _copied_columns()
