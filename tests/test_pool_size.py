"""`pool_size`: the most connections one server process opens to PostgreSQL, all pools
together, so that a managed database's max_connections can host several processes; the start
line says it, and /metrics shows the connections in use."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine, event

from envkeep.api import serve
from envkeep.api.app import create_app
from envkeep.api.uvicorn_server import LoggedServer
from envkeep.server_settings import ServerSettings
from envkeep.store.pool_size import PoolPlan, pool_plan

BURST = 60  # requests at once: far more than any pool here


def test_the_default_keeps_the_twelve_transaction_slots() -> None:
    assert pool_plan(15, shared_rates=False) == PoolPlan(15, 0, 12)


def test_the_shared_rate_limits_take_their_connections_from_the_same_size() -> None:
    assert pool_plan(15, shared_rates=True) == PoolPlan(12, 3, 10)
    assert pool_plan(10, shared_rates=True) == PoolPlan(8, 2, 7)
    assert pool_plan(2, shared_rates=True) == PoolPlan(1, 1, 1)
    assert pool_plan(2, shared_rates=False) == PoolPlan(2, 0, 1)


class _Live:
    """The connections an engine holds open to the database, and the most it held at once."""

    def __init__(self, *engines: Engine) -> None:
        self.now = self.most = 0
        for engine in engines:
            event.listen(engine, "connect", self._opened)
            event.listen(engine, "close", self._closed)
            event.listen(engine, "close_detached", self._closed)

    def _opened(self, *_args: Any) -> None:
        self.now += 1
        self.most = max(self.most, self.now)

    def _closed(self, *_args: Any) -> None:
        self.now -= 1


async def _burst(app: FastAPI) -> tuple[list[int], str]:
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": "Bearer ek_sa_whoever"}
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        answers = await asyncio.gather(
            *(client.get("/v1/whoami", headers=headers) for _ in range(BURST))
        )
        scraped = await client.get("/metrics")
    return [answer.status_code for answer in answers], scraped.text


@pytest.mark.parametrize("rate_store", ["memory", "database"])
def test_a_burst_never_opens_more_connections_than_the_pool_size(
    pg_url: str, rate_store: str
) -> None:
    app = create_app(pg_url, rate=1000, rate_store=rate_store, pool_size=4)
    found = app.state.envkeep
    engines = [found.engine] + ([found.limits.shared.engine] if found.limits.shared else [])
    live = _Live(*engines)
    try:
        statuses, metrics = asyncio.run(_burst(app))
    finally:
        found.close()
        found.limits.close()
    assert set(statuses) == {401}  # each one authenticated (and refused) in a transaction
    assert 1 <= live.most <= 4
    assert 'envkeep_database_connections_in_use{pool="requests"} 0.0' in metrics
    assert 'envkeep_database_connections_open{pool="requests"}' in metrics
    assert ('pool="rate_limits"' in metrics) == (rate_store == "database")


def test_the_start_line_says_the_pool_size(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[LoggedServer] = []

    def run(self: LoggedServer, sockets: object = None) -> None:
        ran.append(self)
        self.started = True

    monkeypatch.setattr(LoggedServer, "run", run)
    monkeypatch.setattr(serve, "settle_heap", lambda: None)
    # Nor uvicorn's logging set-up (its loggers' handlers and levels, for every later test).
    monkeypatch.setattr(uvicorn.Config, "configure_logging", lambda _self: None)
    uvicorns = logging.getLogger("uvicorn")
    kept = (uvicorns.handlers[:], uvicorns.propagate)
    for url, shown in (("postgresql://envkeep@db/envkeep", 7), ("sqlite:///x.db", "n/a (SQLite)")):
        start = serve.ServerStart(ServerSettings(db=url, pool_size=7), listening=())
        serve.run_app(FastAPI(), start)
        assert ran.pop().facts["pool_size"] == shown
    assert (uvicorns.handlers, uvicorns.propagate) == kept
