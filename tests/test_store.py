"""The embedded store: made by migrations, matching the models, with the pragmas DESIGN asks."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from envkeep.store.engine import open_engine, sqlite_url
from envkeep.store.migrate import current_revision, head_revision, upgrade
from envkeep.store.models import Base
from envkeep.store.schema_version import HEAD_REVISION
from envkeep.store.sqlite_fetch import open_fetch
from tests.conftest import sqlite_only

SRC = Path(__file__).resolve().parents[1] / "src" / "envkeep"


def test_migrations_produce_exactly_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_every_table_of_the_data_model_exists(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert {
        "workspaces",
        "principals",
        "role_bindings",
        "projects",
        "services",
        "environments",
        "data_key_shares",
        "secrets",
        "secret_versions",
        "audit_events",
        "alembic_version",
    } <= tables


def test_head_revision_constant_matches_the_migrations(engine: Engine) -> None:
    assert head_revision() == HEAD_REVISION
    assert current_revision(engine) == HEAD_REVISION


def test_the_schema_is_never_made_with_create_all() -> None:
    offenders = [p.name for p in SRC.rglob("*.py") if "create_all(" in p.read_text()]
    assert offenders == []


def test_sqlite_runs_in_wal_with_full_sync_and_foreign_keys(engine: Engine) -> None:
    sqlite_only(engine)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_upgrade_is_idempotent(engine: Engine) -> None:
    upgrade(engine)
    assert current_revision(engine) == HEAD_REVISION


def test_fast_read_path_refuses_a_missing_or_unmigrated_database(tmp_path: Path) -> None:
    assert open_fetch(tmp_path / "absent.db") is None
    empty = open_engine(sqlite_url(tmp_path / "empty.db"))
    with empty.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    empty.dispose()
    assert open_fetch(tmp_path / "empty.db") is None


def test_fast_read_path_opens_a_migrated_database(engine: Engine) -> None:
    sqlite_only(engine)
    path = Path(str(engine.url.database))
    fetch = open_fetch(path)
    assert fetch is not None
    assert fetch("SELECT version_num FROM alembic_version", {}) == [(HEAD_REVISION,)]
    fetch.close()
