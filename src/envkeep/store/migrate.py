"""Running Alembic migrations from code, and checking a database is at the head revision."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from envkeep import __version__
from envkeep.core.errors import StoreError, UsageError
from envkeep.store.advisory_lock import queue_on
from envkeep.store.lock_wait import lock_wait
from envkeep.store.schema_version import HEAD_REVISION, schema_state

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy import Connection, Engine

MIGRATIONS = Path(__file__).with_name("migrations")

# The PostgreSQL advisory lock every upgrade of one database queues on (any fixed number;
# these are "envk" in ASCII): two `server migrate` at once both found no alembic_version table
# and one died creating it (a unique-key error). SQLite queues them on BEGIN IMMEDIATE.
MIGRATION_LOCK = 0x656E766B


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest revision the code knows."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise RuntimeError("no migrations found")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision a database is at, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def stored_revision(engine: Engine, *, lock_wait_s: float | None = None) -> str | None:
    """The revision in a migrated database's version table (None: the table is empty), read
    with one plain query: a running server's readiness and schema checks ask it often.
    ``lock_wait_s``: how long a SQLite file's write lock is waited for (`lock_wait`; None:
    the busy timeout)."""
    with engine.connect() as connection, lock_wait(connection, lock_wait_s):
        found = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return None if found is None else str(found)


def schema_ahead(revision: str) -> UsageError:
    """The refusal of a database a newer envkeep migrated (exit 2): this code does not know
    its schema, and migrations only go forward."""
    return UsageError(
        f"this database was migrated by a newer envkeep (schema {revision}; envkeep"
        f" {__version__} knows schemas up to {HEAD_REVISION})",
        hint="run the envkeep that migrated it, or restore the backup taken before that upgrade",
    )


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Bring the database to the head revision (or to an older ``revision``, for a test of
    what a migration does to data); the revision it was at (None: empty). Upgrades of one
    database run one at a time; one ahead of this code is refused untouched."""
    config = _config()
    with (
        engine.connect() as connection,
        _sqlite_foreign_keys_off(connection),
        connection.begin(),
    ):
        _wait_for_other_upgrades(connection)
        found = MigrationContext.configure(connection).get_current_revision()
        if schema_state(found) == "ahead":
            raise schema_ahead(str(found))
        config.attributes["connection"] = connection
        before = _broken_references(connection)
        command.upgrade(config, revision)
        _check_foreign_keys(connection, before)
    if head_revision() != HEAD_REVISION:  # pragma: no cover - caught by a test first
        raise RuntimeError("store.schema_version.HEAD_REVISION is stale")
    return found


def _wait_for_other_upgrades(connection: Connection) -> None:
    """On PostgreSQL, queue behind any other upgrade of this database until its transaction
    ends (the lock goes with this one's); the revision is read after, so a second migrate
    finds the first's work done. SQLite's BEGIN IMMEDIATE already made the wait."""
    queue_on(connection, MIGRATION_LOCK)


@contextmanager
def _sqlite_foreign_keys_off(connection: Connection) -> Iterator[None]:
    """SQLite's foreign keys off while migrations run (SQLite's own recipe for changing a
    table): batch mode rebuilds a table by dropping it, and a dropped parent table with foreign
    keys on deletes every row that refers to it. The pragma only takes effect outside a
    transaction, so it goes to the driver before the migrations' transaction begins."""
    if connection.dialect.name != "sqlite":
        yield
        return
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        driver.execute("PRAGMA foreign_keys=ON")


def _broken_references(connection: Connection) -> set[tuple[object, ...]]:
    """Rows that refer to nothing (SQLite's ``foreign_key_check``; none on PostgreSQL)."""
    if connection.dialect.name != "sqlite":
        return set()
    return {tuple(row) for row in connection.exec_driver_sql("PRAGMA foreign_key_check")}


def _check_foreign_keys(connection: Connection, before: set[tuple[object, ...]]) -> None:
    """Refuse to commit migrations that left a row referring to nothing that did not before
    (a row broken already, by hand say, stops no upgrade; PostgreSQL keeps its foreign keys
    checked throughout)."""
    broken = _broken_references(connection) - before
    if broken:
        tables = sorted({str(row[0]) for row in broken})
        raise StoreError(
            f"upgrading the database would leave rows in {', '.join(tables)} referring to nothing",
            hint="nothing was changed; report this with the envkeep version",
        )
