"""While another process holds a real server's SQLite file under an exclusive lock, the operator
is told so and what to do, not only `database_error: "database is locked"`: the outage's first
log line carries the hint a start gets, and `/readyz` names the lock (it said "no answer within
3 s": its check waited SQLite's 10 s busy timeout, past the probe's 3 s). The hint, about the
server's storage, is the log's alone: any client may ask /readyz, which points to the log."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import httpx
import pytest
from sqlalchemy.exc import OperationalError
from structlog.testing import capture_logs

from envkeep.api.outage_log import DatabaseOutage
from envkeep.api.routes_ops import LOCKED_HINT, READY_TIMEOUT_S
from envkeep.api.serve import migrate
from envkeep.api.sqlite_unopened import HELD_LOCKED
from envkeep.store.busy_timeout import BUSY_TIMEOUT_MS
from envkeep.store.engine import open_engine
from envkeep.store.migrate import stored_revision
from tests.server import start_server
from tests.sqlite_holder import locked as held_locked
from tests.test_selfhost_sqlite_exclusive_lock import _lines

if TYPE_CHECKING:
    from pathlib import Path


def test_readyz_and_the_outage_log_name_a_lock_another_process_holds(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        with held_locked(tmp_path / "server.db"):
            began = time.monotonic()
            locked = httpx.get(f"{server.url}/readyz", timeout=30)
            took = time.monotonic() - began
        freed = httpx.get(f"{server.url}/readyz", timeout=30)
    finally:
        server.stop()
    assert locked.status_code == 503, locked.text
    assert (locked.json()["title"], locked.json()["hint"]) == (
        "the database is locked",
        LOCKED_HINT,
    )
    assert "another process" not in locked.text  # the file's details stay in the log
    assert took < READY_TIMEOUT_S + 1  # the lock's own answer, not the probe's deadline
    assert freed.status_code == 200, freed.text
    logged = [line for line in _lines(server.log.read_text()) if "database_error" in line]
    (outage,) = [line for line in logged if line["event"] == "database unavailable"]
    assert outage["database_error"] == "database is locked"
    assert outage["hint"] == HELD_LOCKED
    (probe,) = [line for line in logged if line.get("route") == "/readyz"]
    assert probe["database_error"] == "database is locked"


def test_only_the_first_line_of_an_outage_a_lock_caused_carries_the_hint() -> None:
    now = [0.0]
    outage = DatabaseOutage(interval=60, clock=lambda: now[0])
    with capture_logs() as logged:
        outage.note("/v1/whoami", 503, "database is locked")
        now[0] = 61
        outage.note("/v1/whoami", 503, "database is locked")  # still: the hint was given
        outage.note("/readyz", 200, None)
        outage.note("/v1/whoami", 503, "connection refused")  # another cause: no hint
    assert [(line["event"], line.get("hint")) for line in logged] == [
        ("database unavailable", HELD_LOCKED),
        ("database still unavailable", None),
        ("database available again", None),
        ("database unavailable", None),
    ]


def test_the_readiness_checks_short_wait_for_the_lock_is_its_own(tmp_path: Path) -> None:
    """The check's connection goes back to the pool, where a request's write must wait the
    whole busy timeout again, not fail after the probe's shorter wait."""
    url = f"sqlite:///{tmp_path / 'server.db'}"
    migrate(url)
    engine = open_engine(url)
    try:
        with held_locked(tmp_path / "server.db"):
            began = time.monotonic()
            with pytest.raises(OperationalError, match="database is locked"):
                stored_revision(engine, lock_wait_s=0.2)
            waited = time.monotonic() - began
        assert engine.pool.checkedin() == 1  # type: ignore[attr-defined]
        with engine.connect() as connection:
            waits = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
    finally:
        engine.dispose()
    assert 0.2 <= waited < BUSY_TIMEOUT_MS / 1000
    assert waits == BUSY_TIMEOUT_MS
