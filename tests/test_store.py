"""The embedded store: made by migrations, matching the models, with the pragmas DESIGN asks."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from envkeep.store.database_url import is_postgresql, sqlite_file
from envkeep.store.engine import open_engine, sqlite_url
from envkeep.store.migrate import current_revision, head_revision, upgrade
from envkeep.store.models import Base, Principal, RoleBinding, Workspace
from envkeep.store.schema_version import HEAD_REVISION
from envkeep.store.sqlite_fetch import open_fetch
from tests.conftest import sqlite_only

SRC = Path(__file__).resolve().parents[1] / "src" / "envkeep"


def test_migrations_produce_exactly_the_models(engine: Engine) -> None:
    with warnings.catch_warnings():
        # SQLAlchemy does not reflect an index on expressions (the role bindings' scope):
        # the next test checks that one by what it refuses.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based")
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression")
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_a_principal_holds_one_role_per_scope_workspace_wide_included(engine: Engine) -> None:
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        session.add(Workspace(id="w", name="w", created_at=now))
        session.add(
            Principal(
                id="p",
                kind="user",
                name="p@example.com",
                encryption_public=b"e" * 32,
                signing_public=b"s" * 32,
                created_at=now,
            )
        )

    def bind(binding_id: str, role: str) -> None:
        with Session(engine) as session, session.begin():
            session.add(
                RoleBinding(
                    id=binding_id, principal_id="p", workspace_id="w", role=role, created_at=now
                )
            )

    bind("b1", "read")
    with pytest.raises(IntegrityError):  # project and environment NULL: the same scope
        bind("b2", "admin")


def test_upgrading_keeps_the_strongest_of_two_roles_at_one_scope(database: str) -> None:
    engine = open_engine(database)
    try:
        upgrade(engine, "0005")  # before the scope index: the race could store two
        now = datetime.now(UTC)
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO workspaces (id, name, created_at) VALUES ('w', 'w', :now)"),
                {"now": now},
            )
            for principal in ("p", "q"):
                connection.execute(
                    text(
                        "INSERT INTO principals (id, kind, name, encryption_public,"
                        " signing_public, created_at) VALUES (:id, 'user', :id, :key, :key, :now)"
                    ),
                    {"id": principal, "key": b"k" * 32, "now": now},
                )
            bindings = [("b1", "p", "read"), ("b2", "p", "admin"), ("b3", "p", "write")]
            bindings += [("c2", "q", "write"), ("c1", "q", "write")]
            for binding_id, principal, role in bindings:
                connection.execute(
                    text(
                        "INSERT INTO role_bindings (id, principal_id, workspace_id, role,"
                        " created_at) VALUES (:id, :principal, 'w', :role, :now)"
                    ),
                    {"id": binding_id, "principal": principal, "role": role, "now": now},
                )
        upgrade(engine)
        with engine.connect() as connection:
            kept = connection.execute(
                text("SELECT id, role FROM role_bindings ORDER BY id")
            ).fetchall()
        assert [tuple(row) for row in kept] == [("b2", "admin"), ("c1", "write")]
    finally:
        engine.dispose()


def test_dropping_the_workspace_name_unique_keeps_everything_in_the_workspace(
    database: str,
) -> None:
    """Migration 0009 rebuilds ``workspaces`` on SQLite; with foreign keys on, dropping the old
    table would have deleted every project and binding in it."""
    engine = open_engine(database)
    now = datetime.now(UTC)
    try:
        upgrade(engine, "0008")
        with engine.begin() as connection:
            rows = [
                "INSERT INTO workspaces (id, name, created_at) VALUES ('w', 'acme', :now)",
                (
                    "INSERT INTO principals (id, kind, name, encryption_public, signing_public,"
                    " created_at) VALUES ('p', 'user', 'p@example.com', :key, :key, :now)"
                ),
                (
                    "INSERT INTO role_bindings (id, principal_id, workspace_id, role, created_at)"
                    " VALUES ('b', 'p', 'w', 'admin', :now)"
                ),
                (
                    "INSERT INTO projects (id, workspace_id, name, created_at)"
                    " VALUES ('pr', 'w', 'shop', :now)"
                ),
            ]
            for row in rows:
                connection.execute(text(row), {"now": now, "key": b"k" * 32})
        upgrade(engine)
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO workspaces (id, name, created_at) VALUES ('v', 'acme', :now)"),
                {"now": now},
            )
            counts = connection.execute(
                text(
                    "SELECT (SELECT count(*) FROM workspaces), (SELECT count(*) FROM"
                    " role_bindings), (SELECT count(*) FROM projects)"
                )
            ).one()
        assert tuple(counts) == (2, 1, 1)  # workspaces, role bindings, projects
        with pytest.raises(IntegrityError), engine.begin() as connection:  # still enforced
            connection.execute(
                text(
                    "INSERT INTO projects (id, workspace_id, name, created_at)"
                    " VALUES ('x', 'nowhere', 'x', :now)"
                ),
                {"now": now},
            )
    finally:
        engine.dispose()


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


def test_a_database_on_a_full_disk_is_said_to_be_so_not_taken_for_an_unmigrated_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil
    import sqlite3

    from envkeep.core.errors import StoreError

    path = tmp_path / "envkeep.db"
    path.write_bytes(b"")

    class NoRoomForShm:  # what SQLite says when it cannot grow the -shm file
        def execute(self, _sql: str) -> None:
            raise sqlite3.OperationalError("disk I/O error")

        def close(self) -> None:
            pass

    monkeypatch.setattr(sqlite3, "connect", lambda *_a, **_k: NoRoomForShm())
    monkeypatch.setattr(
        shutil, "disk_usage", lambda _p: shutil._ntuple_diskusage(1 << 30, 1 << 30, 0)
    )
    with pytest.raises(StoreError, match="disk I/O error") as raised:
        open_fetch(path)
    assert raised.value.hint is not None
    assert "is full: free some space" in raised.value.hint
    assert "away" not in raised.value.hint


def test_fast_read_path_opens_a_migrated_database(engine: Engine) -> None:
    sqlite_only(engine)
    path = Path(str(engine.url.database))
    fetch = open_fetch(path)
    assert fetch is not None
    assert fetch("SELECT version_num FROM alembic_version", {}) == [(HEAD_REVISION,)]
    fetch.close()


def test_a_row_broken_before_an_upgrade_does_not_stop_it(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.db"
    engine = open_engine(sqlite_url(path))
    try:
        upgrade(engine, "0008")
        raw = sqlite3.connect(path)  # foreign keys off, as a hand edit may have left it
        raw.execute(
            "INSERT INTO projects (id, workspace_id, name, created_at)"
            " VALUES ('p', 'gone', 'orphan', '2026-01-01 00:00:00')"
        )
        raw.commit()
        raw.close()
        upgrade(engine)
        assert current_revision(engine) == HEAD_REVISION
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("url", "postgresql", "file"),
    [
        ("sqlite:////srv/envkeep/server.db", False, "/srv/envkeep/server.db"),
        ("sqlite:///relative.db", False, "relative.db"),
        ("sqlite://", False, None),
        ("sqlite:///:memory:", False, None),
        ("postgresql://envkeep@db/envkeep", True, None),
        ("postgres://envkeep@db/envkeep", True, None),
        ("postgresql+psycopg://envkeep@db/envkeep", True, None),
        ("mysql://u@h/x", False, None),
    ],
)
def test_one_reading_of_what_a_database_url_names(
    url: str, postgresql: bool, file: str | None
) -> None:
    assert is_postgresql(url) is postgresql
    found = sqlite_file(url)
    assert (str(found) if found is not None else None) == file
