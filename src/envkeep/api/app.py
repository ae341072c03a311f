"""The ASGI application of `envkeep server`."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from envkeep import __version__
from envkeep.api import (
    observability,
    problems,
    routes_audit,
    routes_auth,
    routes_members,
    routes_ops,
    routes_projects,
    routes_secrets,
    routes_tokens,
)
from envkeep.api.deps import ServerState
from envkeep.api.hot_routes import HotRoutes
from envkeep.api.ratelimit import limits_for
from envkeep.api.telemetry import telemetry_config
from envkeep.store.engine import open_engine

MAX_BODY = 16 * 1024 * 1024


def create_app(
    database_url: str, *, max_body: int = MAX_BODY, rate: float = 50.0, rate_store: str = "memory"
) -> FastAPI:
    """The API over one database (SQLite or PostgreSQL), migrated already; rate-limit buckets
    in ``rate_store``: memory, or the database (shared by several processes; PostgreSQL)."""
    limits = limits_for(database_url, rate=rate, store=rate_store)
    engine = open_engine(database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.envkeep.close()  # close the database connections on shutdown
        limits.close()

    app = FastAPI(
        title="envkeep",
        version=__version__,
        description="Zero-knowledge secrets and configuration: the server stores ciphertext only.",
        lifespan=lifespan,
        telemetry=telemetry_config(),
    )
    # Fake prelogin salts for unknown emails must be stable for one deployment.
    server_key = hashlib.sha256(b"envkeep/v1/prelogin|" + database_url.encode()).digest()
    metrics = observability.Metrics()
    metrics.watch(engine)
    app.state.metrics = metrics
    app.state.envkeep = ServerState(engine, server_key, limits, observe=metrics.statement)
    problems.install(app)
    app.add_middleware(HotRoutes)  # inside Observe, which is added after it
    observability.install(app, metrics, max_body=max_body)
    routers = (
        routes_ops,
        routes_auth,
        routes_projects,
        routes_secrets,
        routes_audit,
        routes_members,
        routes_tokens,
    )
    for module in routers:
        app.include_router(module.router)
    return app
