"""Several `envkeep server migrate` at once on one empty PostgreSQL database (the init
containers of several replicas, say) all succeed: they queue on an advisory lock, and each
after the first finds the work done. Without it they all found no alembic_version table and
all but one died creating it ("unexpected IntegrityError; this is a bug").

To make them meet every time, the test creates alembic_version itself in a transaction it
holds open until every migrate waits (on that table without the lock, on the lock with it),
then rolls it back: all of them go at once."""

from __future__ import annotations

import contextlib
import subprocess
import time
from typing import TYPE_CHECKING

from sqlalchemy import text

from envkeep.api.server_database import shown_url
from envkeep.store.engine import open_engine
from envkeep.store.migrate import current_revision
from envkeep.store.schema_version import HEAD_REVISION
from tests.server import ENVKEEP, _environ

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.pg import PostgresServer

RACERS = 4


def _revision(database: str) -> str | None:
    engine = open_engine(database)
    try:
        return current_revision(engine)
    finally:
        engine.dispose()


@contextlib.contextmanager
def _held_until_all_wait(database: str) -> Iterator[None]:
    """alembic_version made and held uncommitted while the body runs, dropped again once
    ``RACERS`` other sessions wait on a lock."""
    engine = open_engine(database)
    try:
        with engine.connect() as holder, engine.connect() as watcher:
            holder.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32))")
            yield
            waiting = text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            deadline = time.monotonic() + 60
            while watcher.execute(waiting).scalar() != RACERS and time.monotonic() < deadline:
                watcher.rollback()
                time.sleep(0.05)
            holder.rollback()
    finally:
        engine.dispose()


def test_concurrent_migrations_of_an_empty_postgresql_database_all_succeed(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    database = postgres.create_database()
    command = [*ENVKEEP, "server", "migrate", "--db", database]
    try:
        with _held_until_all_wait(database):
            racers = [
                subprocess.Popen(
                    command,
                    env=_environ(tmp_path / "home"),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for _ in range(RACERS)
            ]
        said = [(racer.wait(120), racer.communicate()[1]) for racer in racers]
        assert _revision(database) == HEAD_REVISION
    finally:
        postgres.drop_database(database)
    assert [code for code, _ in said] == [0] * RACERS, said
    reports = sorted(err.strip() for _, err in said)
    migrated = [r.partition(" (")[0] for r in reports]
    assert migrated.count(f"database schema: empty -> {HEAD_REVISION}") == 1, reports
    assert migrated.count(f"database schema: {HEAD_REVISION} -> {HEAD_REVISION}") == RACERS - 1
    assert all(r.endswith(f" ({shown_url(database)})") for r in reports), reports  # no password
