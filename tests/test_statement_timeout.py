"""A server's statements on PostgreSQL are bounded: a table locked by an admin in psql makes
requests fail with a 503 the client can retry, not wait until the lock goes; and connecting
to a database that never answers gives up."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from envkeep.api.app import create_app
from envkeep.api.serve import migrate
from envkeep.core.errors import StoreError
from envkeep.store import engine as engine_module
from envkeep.store.engine import open_engine, serving_engine
from envkeep.store.rate_buckets import SharedBuckets

HELD = 6.0  # seconds the admin's lock is held: longer than the timeout the tests set


def _lock_for_a_while(url: str, table: str, locked: threading.Event) -> None:
    """What an admin does in psql: BEGIN; LOCK TABLE …; (a coffee); COMMIT."""
    admin = open_engine(url)
    with admin.connect() as connection:
        connection.execute(text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
        locked.set()
        time.sleep(HELD)
        connection.commit()
    admin.dispose()


def _held(url: str, table: str) -> threading.Thread:
    locked = threading.Event()
    holder = threading.Thread(target=_lock_for_a_while, args=(url, table, locked))
    holder.start()
    assert locked.wait(10)
    return holder


def test_readiness_under_a_locked_table_answers_503_before_the_lock_goes(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "STATEMENT_TIMEOUT_MS", 500)
    client = TestClient(create_app(pg_url))
    holder = _held(pg_url, "alembic_version")
    try:
        started = time.monotonic()
        answer = client.get("/readyz")
        waited = time.monotonic() - started
    finally:
        holder.join()
    assert answer.status_code == 503
    assert waited < HELD / 2


def test_statement_timeout_of_the_url_is_kept(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "STATEMENT_TIMEOUT_MS", 500)
    engine = serving_engine(pg_url + "?options=-c%20statement_timeout%3D12345")
    with engine.connect() as connection:
        assert connection.execute(text("SHOW statement_timeout")).scalar() == "12345ms"
    engine.dispose()


def test_pgoptions_and_pgconnect_timeout_are_kept(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """libpq reads PGOPTIONS only when no `options` is passed: the bound is added to it, not put
    in its place (a search_path there is where `server migrate` made the tables)."""
    monkeypatch.setenv("PGOPTIONS", "-c search_path=elsewhere -c lock_timeout=4s")
    monkeypatch.setenv("PGCONNECT_TIMEOUT", "33")
    engine = serving_engine(pg_url)
    with engine.connect() as connection:
        shown = {
            name: connection.execute(text(f"SHOW {name}")).scalar()
            for name in ("search_path", "lock_timeout", "statement_timeout")
        }
        psycopg_connection: Any = connection.connection.dbapi_connection
        connected_with = psycopg_connection.info.get_parameters()
    engine.dispose()
    assert shown == {"search_path": "elsewhere", "lock_timeout": "4s", "statement_timeout": "10s"}
    assert connected_with["connect_timeout"] == "33"

    monkeypatch.setenv("PGOPTIONS", "-c statement_timeout=12345")
    engine = serving_engine(pg_url)
    with engine.connect() as connection:
        assert connection.execute(text("SHOW statement_timeout")).scalar() == "12345ms"
    engine.dispose()


def test_a_serving_engine_cancels_a_statement_stuck_on_a_lock(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "STATEMENT_TIMEOUT_MS", 500)
    engine = serving_engine(pg_url)
    holder = _held(pg_url, "secrets")
    try:
        with pytest.raises(OperationalError, match="statement timeout"), engine.connect() as c:
            c.execute(text("SELECT count(*) FROM secrets"))
    finally:
        holder.join()
        engine.dispose()


def test_connecting_to_a_database_that_never_answers_gives_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(engine_module, "CONNECT_TIMEOUT_S", 1)
    with socket.socket() as silent:  # takes connections (the kernel does), answers none
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        outcome: list[BaseException] = []
        attempt = threading.Thread(
            target=_migrate_into,
            args=(f"postgresql://envkeep@127.0.0.1:{port}/keep", outcome),
            daemon=True,
        )
        attempt.start()
        attempt.join(HELD)
        assert not attempt.is_alive(), "still connecting"
    assert isinstance(outcome[0], StoreError)
    assert "timeout" in outcome[0].message


def _migrate_into(url: str, outcome: list[BaseException]) -> None:
    try:
        migrate(url)
    except BaseException as error:  # noqa: BLE001 - handed to the test's thread
        outcome.append(error)


def test_a_locked_rate_table_costs_a_take_a_second_not_the_requests_bound(pg_url: str) -> None:
    buckets = SharedBuckets(pg_url)
    holder = _held(pg_url, "rate_buckets")
    try:
        started = time.monotonic()
        with pytest.raises(OperationalError, match="statement timeout"):
            buckets.take("ip:127.0.0.1", rate=50, burst=200)
        waited = time.monotonic() - started
    finally:
        holder.join()
        buckets.close()
    assert waited < 3
