"""A request waits for a database transaction slot for a bounded time: with every slot held
(requests stuck on a table an admin locked, a database stopped), the requests behind them are
answered 503 `unavailable` with Retry-After after the wait, not once the slots come free, and
their log line says why."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from structlog.testing import capture_logs

from envkeep.api.app import create_app
from envkeep.api.group_commit import GroupCommit
from envkeep.api.transaction_slots import TransactionSlots
from envkeep.core.errors import NoTransactionSlot
from envkeep.store.engine import open_engine, sqlite_url
from envkeep.store.migrate import upgrade

if TYPE_CHECKING:
    from pathlib import Path

    from fastapi import FastAPI

WAIT = 0.3  # the tests' bound on a slot wait
GIVE_UP = 5.0  # a request not answered by then waits for the slots (the bug)
SNAPSHOT = "/v1/workspaces/w/projects/shop/environments/dev/snapshot"


def _app(database: str) -> FastAPI:
    engine = open_engine(database)
    upgrade(engine)
    engine.dispose()
    app = create_app(database, rate=0)
    found = app.state.envkeep
    found.slot_wait = WAIT  # before the slots are made, on first use
    if found.group_commit is not None:
        found.group_commit.wait = WAIT
    return app


async def _with_every_slot_held(app: FastAPI, path: str) -> tuple[httpx.Response, float]:
    """``GET path`` while every transaction slot is held (as by requests stuck on a lock):
    the answer and how long it took."""
    slots: TransactionSlots = app.state.envkeep.gate
    for _ in range(slots.size):
        await slots.semaphore.acquire()
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": "Bearer ek_sa_whoever"}
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            started = time.monotonic()
            answer = await asyncio.wait_for(client.get(path, headers=headers), GIVE_UP)
            return answer, time.monotonic() - started
    finally:
        app.state.envkeep.close()


def _held_request(database: str, path: str) -> tuple[httpx.Response, float, list[Any]]:
    app = _app(database)
    with capture_logs() as logged:
        answer, took = asyncio.run(_with_every_slot_held(app, path))
    return answer, took, [line for line in logged if line.get("event") == "request"]


def test_a_request_behind_held_slots_is_answered_503_after_the_wait(database: str) -> None:
    answer, took, [line] = _held_request(database, "/v1/whoami")
    assert answer.status_code == 503
    assert answer.json()["code"] == "unavailable"
    assert answer.headers["retry-after"] == "5"
    assert WAIT <= took < GIVE_UP
    assert "no database transaction slot came free" in line["database_error"]


def test_a_read_queued_for_the_group_commit_is_answered_503_after_the_wait(
    database: str,
) -> None:
    """The snapshot read (the hot route): on SQLite it queues for a group, whose drainer
    waits for the slot; on PostgreSQL it waits for a slot itself."""
    answer, took, [line] = _held_request(database, SNAPSHOT)
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert WAIT <= took < GIVE_UP
    assert "no database transaction slot came free" in line["database_error"]


def test_a_free_slot_is_taken_without_waiting() -> None:
    async def take() -> float:
        slots = TransactionSlots(1, wait=GIVE_UP)
        started = time.monotonic()
        async with slots:
            return time.monotonic() - started

    assert asyncio.run(take()) < 0.1


def test_a_slot_freed_within_the_wait_is_taken() -> None:
    async def take() -> bool:
        slots = TransactionSlots(1, wait=GIVE_UP)
        await slots.semaphore.acquire()
        asyncio.get_running_loop().call_later(0.05, slots.semaphore.release)
        async with slots:
            return True

    assert asyncio.run(take())


def test_the_error_names_the_wait_for_the_log_only() -> None:
    error = NoTransactionSlot(waited=10, slots=12)
    assert "10 s" in error.reason
    assert "all 12 taken" in error.reason
    assert "slot" not in (error.hint or "")


def test_each_job_queued_for_the_group_commit_waits_its_own_bound(tmp_path: Path) -> None:
    """One timer serves the queue: a job queued later fails its own wait after it came."""
    engine = open_engine(sqlite_url(tmp_path / "server.db"))

    async def queue_two() -> list[float]:
        gate = asyncio.Semaphore(1)
        await gate.acquire()  # a transaction that does not end
        group_commit = GroupCommit(engine, lambda: gate, wait=WAIT)
        started = time.monotonic()
        first = asyncio.ensure_future(group_commit.run(lambda _t: 1, shared=True))
        await asyncio.sleep(WAIT / 2)
        second = asyncio.ensure_future(group_commit.run(lambda _t: 2, shared=True))
        failed: list[float] = []
        for job in (first, second):
            with pytest.raises(NoTransactionSlot):
                await asyncio.wait_for(job, GIVE_UP)
            failed.append(time.monotonic() - started)
        return failed

    try:
        first, second = asyncio.run(queue_two())
    finally:
        engine.dispose()
    assert WAIT <= first < WAIT * 1.4
    assert WAIT * 1.5 <= second < GIVE_UP
