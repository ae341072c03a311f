"""A PostgreSQL that stops answering with connections open (its processes stopped with
SIGSTOP, as a frozen VM) costs a request a bounded wait: the statement timeout plus a margin
(`store.answer_deadline`), then a 503 `unavailable` whose log line says the database did not
answer; the connection is discarded, and the server works again once PostgreSQL resumes.

These tests freeze a PostgreSQL of their own (the session's serves other tests meanwhile), and
set a 1 s statement timeout in the URL: a 3 s deadline."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import copy_context
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from sqlalchemy import exc, text

from envkeep.store.answer_deadline import MARGIN_S, database_work, deadline_of
from envkeep.store.engine import STATEMENT_TIMEOUT_MS, open_engine, serving_engine
from envkeep.store.migrate import upgrade
from tests.pg import PostgresServer, start_postgres
from tests.server import start_server

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from sqlalchemy import Connection

SHORT = "options=-c%20statement_timeout%3D1000&connect_timeout=2"  # a 3 s deadline
DEADLINE = 1 + MARGIN_S
GIVE_UP = 12.0  # a request not answered by then waits for the database (the bug)


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[PostgresServer]:
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture
def short_url(own_postgres: PostgresServer) -> Iterator[str]:
    """A fresh migrated database of ``own_postgres``, its URL with a 1 s statement timeout."""
    url = own_postgres.create_database()
    engine = open_engine(url)
    upgrade(engine)
    engine.dispose()
    yield f"{url}?{SHORT}"
    own_postgres.drop_database(url)


@contextlib.contextmanager
def frozen(server: PostgresServer) -> Iterator[None]:
    """The server's processes stopped (SIGSTOP) inside, resumed after."""
    postmaster = int((server.data_dir / "postmaster.pid").read_text().split()[0])
    found = subprocess.run(
        ["pgrep", "-P", str(postmaster)], capture_output=True, text=True, check=False
    )
    pids = [postmaster, *(int(pid) for pid in found.stdout.split())]
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


def _within_give_up(connection: Connection, sql: str) -> Any:
    """``sql`` on ``connection``, in a thread: a statement still waiting after ``GIVE_UP``
    fails the test (it would wait for the database to resume: the bug)."""
    pool = ThreadPoolExecutor(1)
    context = copy_context()  # the thread runs in the caller's database_work, if any
    running: Future[Any] = pool.submit(context.run, lambda: connection.execute(text(sql)))
    try:
        return running.result(timeout=GIVE_UP)
    except TimeoutError:
        pytest.fail(f"no answer in {GIVE_UP:g} s: the request waits for the database")
    finally:
        pool.shutdown(wait=False)  # a thread still waiting ends once the database resumes


def test_the_deadline_is_the_statement_timeout_and_a_margin() -> None:
    assert deadline_of("", STATEMENT_TIMEOUT_MS) == STATEMENT_TIMEOUT_MS / 1000 + MARGIN_S
    assert deadline_of("-c statement_timeout=30000", 10_000) == 30 + MARGIN_S
    assert deadline_of("-c search_path=x -c statement_timeout=1min", 10_000) == 60 + MARGIN_S
    assert deadline_of("-c statement_timeout=0", 10_000) is None  # no timeout, no deadline


def test_a_statement_on_a_frozen_database_fails_at_the_deadline(
    own_postgres: PostgresServer, short_url: str
) -> None:
    engine = serving_engine(short_url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            started = time.monotonic()
            with frozen(own_postgres), pytest.raises(exc.OperationalError) as raised:
                _within_give_up(connection, "SELECT 1")
            took = time.monotonic() - started
            assert connection.invalidated  # the pool discards it
        assert f"the database did not answer in {DEADLINE:g} s" in str(raised.value)
        assert DEADLINE - 0.2 <= took < DEADLINE + 2
        with engine.connect() as connection:  # resumed: a new connection, usable
            assert connection.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()


def test_a_write_cut_off_before_its_commit_is_not_written_once_the_database_resumes(
    own_postgres: PostgresServer, short_url: str
) -> None:
    engine = serving_engine(short_url)
    try:
        with engine.connect() as connection:
            connection.execute(text("CREATE TABLE cut (n int)"))
            connection.commit()
            connection.execute(text("INSERT INTO cut VALUES (1)"))
            with frozen(own_postgres), pytest.raises(exc.OperationalError):
                _within_give_up(connection, "INSERT INTO cut VALUES (2)")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM cut")).scalar() == 0
    finally:
        engine.dispose()


def test_the_waits_of_one_piece_of_work_share_one_deadline(
    own_postgres: PostgresServer, short_url: str
) -> None:
    engine = serving_engine(short_url)
    try:
        with engine.connect() as connection, database_work():
            for _ in range(2):  # 1.8 s of the 3 s spent, each statement within its timeout
                connection.execute(text("SELECT pg_sleep(0.9)"))
            started = time.monotonic()
            with frozen(own_postgres), pytest.raises(exc.OperationalError):
                _within_give_up(connection, "SELECT 1")
            assert time.monotonic() - started < MARGIN_S + 0.5  # not the whole deadline again
    finally:
        engine.dispose()


def test_a_request_longer_than_the_deadline_goes_on_while_the_database_answers(
    own_postgres: PostgresServer, short_url: str
) -> None:
    """The deadline bounds a database that stopped answering, not a request's length: once
    it is spent, each wait still gets the margin (a rotation of a large environment, a large
    import), and one on a frozen database ends within it."""
    engine = serving_engine(short_url)
    try:
        with engine.connect() as connection, database_work():
            for _ in range(5):  # 4.5 s of statements, each answered within its timeout
                connection.execute(text("SELECT pg_sleep(0.9)"))
            assert connection.execute(text("SELECT 1")).scalar() == 1
            started = time.monotonic()
            with frozen(own_postgres), pytest.raises(exc.OperationalError) as raised:
                _within_give_up(connection, "SELECT 1")
            assert time.monotonic() - started < MARGIN_S + 1
            assert f"the database did not answer in {MARGIN_S:g} s" in str(raised.value)
    finally:
        engine.dispose()


def test_a_commit_after_the_deadline_was_spent_on_an_answering_database_is_answered(
    short_url: str,
) -> None:
    """COMMIT is sent before its wait: cut off at once, it landed while the request was told
    the database did not answer (a 503 on a write that was written)."""
    engine = serving_engine(short_url)
    try:
        with engine.connect() as connection:
            connection.execute(text("CREATE TABLE spent (n int)"))
            connection.commit()
        with engine.connect() as connection, database_work():
            connection.execute(text("INSERT INTO spent VALUES (1)"))
            time.sleep(DEADLINE + 0.1)  # the deadline spent off the database (CPU, the GIL)
            connection.commit()  # answered: no NoAnswer
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM spent")).scalar() == 1
    finally:
        engine.dispose()


def test_a_commit_on_a_frozen_database_still_ends_by_the_deadline_and_its_margin(
    own_postgres: PostgresServer, short_url: str
) -> None:
    engine = serving_engine(short_url)
    try:
        with engine.connect() as connection, database_work():
            connection.execute(text("SELECT 1"))
            started = time.monotonic()
            with frozen(own_postgres), pytest.raises(exc.OperationalError):
                _within_give_up_commit(connection)
            assert time.monotonic() - started < DEADLINE + MARGIN_S + 1
    finally:
        engine.dispose()


def _within_give_up_commit(connection: Connection) -> None:
    pool = ThreadPoolExecutor(1)
    running: Future[None] = pool.submit(copy_context().run, connection.commit)
    try:
        running.result(timeout=GIVE_UP)
    except TimeoutError:
        pytest.fail(f"no answer in {GIVE_UP:g} s: the commit waits for the database")
    finally:
        pool.shutdown(wait=False)


def _whoami(url: str) -> httpx.Response:
    headers = {"Authorization": "Bearer ek_sa_nobody"}
    return httpx.get(f"{url}/v1/whoami", headers=headers, timeout=GIVE_UP)


def test_requests_on_a_frozen_database_get_503_in_bounded_time_and_the_server_recovers(
    own_postgres: PostgresServer, short_url: str, tmp_path: Path
) -> None:
    server = start_server(tmp_path, short_url)
    try:
        assert _whoami(server.url).status_code == 401  # a pooled connection, to be stuck
        with frozen(own_postgres), ThreadPoolExecutor(4) as pool:
            started = time.monotonic()
            answers = list(pool.map(_whoami, [server.url] * 4))
            took = time.monotonic() - started
        assert took < DEADLINE + 2.5  # a connection's wait, or connecting's (2 s)
        for answer in answers:
            assert answer.status_code == 503
            assert answer.json()["code"] == "unavailable"
            assert answer.headers["retry-after"] == "5"
            assert answer.headers["x-request-id"]
        for _ in range(4):  # resumed: answered at once, every connection usable again
            assert _whoami(server.url).status_code == 401
        lines = [json.loads(line) for line in server.log.read_text().splitlines() if "{" in line]
        said = [line.get("database_error") for line in lines if line.get("status") == 503]
        assert f"the database did not answer in {DEADLINE:g} s" in said
    finally:
        server.stop()
