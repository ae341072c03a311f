"""The ASGI application of `envkeep server`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

from envkeep import __version__
from envkeep.api import (
    cors,
    docs_page,
    observability,
    openapi_errors,
    problems,
    routes_audit,
    routes_auth,
    routes_member_sessions,
    routes_members,
    routes_ops,
    routes_projects,
    routes_secrets,
    routes_tokens,
)
from envkeep.api.denials import PER_MINUTE, RefusalBudget
from envkeep.api.deps import ServerState
from envkeep.api.hot_routes import HotRoutes
from envkeep.api.metrics import Metrics
from envkeep.api.pool_metrics import PoolConnections
from envkeep.api.ratelimit import limits_for
from envkeep.api.telemetry import telemetry_config
from envkeep.app import credentials
from envkeep.app.token_lifetime import LifetimePolicy
from envkeep.store.engine import serving_engine
from envkeep.store.own_writes import OwnWrites
from envkeep.store.pool_size import POOL_SIZE, pool_arguments, pool_plan

if TYPE_CHECKING:
    from collections.abc import Collection
    from datetime import timedelta

    from starlette.types import ASGIApp, Receive, Scope, Send

MAX_BODY = 16 * 1024 * 1024
ROUTERS = (
    routes_ops.router,
    routes_auth.router,
    routes_projects.router,
    routes_secrets.router,
    routes_audit.router,
    routes_members.router,
    routes_member_sessions.router,
    routes_tokens.router,
)


class ServerApp(FastAPI):
    """FastAPI behind the server's own front layers, which every request passes first:
    ``observability.Observe`` (request id, security headers, limits, metrics, the log line),
    then ``hot_routes.HotRoutes`` (the snapshot read and the secrets write); what they do not
    answer goes on to FastAPI's own stack. In front of FastAPI rather than among its
    middleware, the hot routes skip its layers too (its telemetry check, error and body-limit
    middleware), each of which every suspended request passes again when it resumes. With CORS
    origins named, ``cors.AllowOrigin`` is in front of ``Observe`` and ``cors.Preflights``
    behind it (``api/cors.py``)."""

    front: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.front is None:
            await super().__call__(scope, receive, send)
        else:
            await self.front(scope, receive, send)

    async def behind_front(self, scope: Scope, receive: Receive, send: Send) -> None:
        """FastAPI's own stack, for what the front layers pass on."""
        await super().__call__(scope, receive, send)

    def openapi(self) -> dict[str, Any]:
        """FastAPI's document, made once, with the errors the server really sends
        (``openapi_errors``)."""
        if self.openapi_schema is None:
            self.openapi_schema = openapi_errors.describe(super().openapi(), self.routes)
        return self.openapi_schema


def create_app(
    database_url: str,
    *,
    max_body: int = MAX_BODY,
    rate: float = 50.0,
    rate_store: str = "memory",
    hot_routes: bool = True,
    refusals_per_minute: int = PER_MINUTE,
    cors_origins: Collection[str] = (),
    token_max_lifetime: timedelta | None = None,
    pool_size: int = POOL_SIZE,
) -> ServerApp:
    """The API over one database (SQLite or PostgreSQL), migrated already; rate-limit buckets
    in ``rate_store``: memory, or the database (shared by several processes; PostgreSQL).
    ``hot_routes=False`` sends every request through FastAPI's router (the hot routes' tests
    compare the two); ``refusals_per_minute``: how many refused requests of one principal a
    minute get an audit event (``api/denials.py``); ``cors_origins``: the web origins whose
    pages may call the API from a browser (``api/cors.py``; none: no CORS layer at all);
    ``token_max_lifetime``: the longest a service-account token made or rotated may live
    (``app/token_lifetime.py``; None: no maximum); ``pool_size``: the most connections the
    process opens to PostgreSQL (``store/pool_size.py``)."""
    plan = pool_plan(pool_size, shared_rates=rate_store == "database")
    limits = limits_for(
        database_url, rate=rate, store=rate_store, pool_size=plan.rate_limits or None
    )
    engine = serving_engine(database_url, pool=pool_arguments(plan.requests))
    credentials.dummy_hash()  # made now: the first unknown login must take no longer than later

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        watch = asyncio.get_running_loop().create_task(app.state.envkeep.schema.watch(stop))
        yield
        stop.set()
        await watch  # a read in flight ends first: disposed under it, its connection leaked
        app.state.envkeep.close()  # close the database connections on shutdown
        limits.close()

    app = ServerApp(
        title="envkeep",
        version=__version__,
        description="Zero-knowledge secrets and configuration: the server stores ciphertext only.",
        lifespan=lifespan,
        telemetry=telemetry_config(),
        docs_url=None,  # docs_page serves it, under a policy of its own
        redoc_url=None,
        openapi_url=None,  # docs_page serves it, as a route the metrics can name
    )
    metrics = Metrics()
    metrics.watch(engine)
    metrics.local_fallback = limits.failures
    pools = {"requests": engine}
    if limits.shared is not None:
        pools["rate_limits"] = limits.shared.engine
    metrics.registry.register(PoolConnections(pools))
    app.state.metrics = metrics
    app.state.metrics_elsewhere = False  # `serve.run_app`: on a port of their own
    app.state.readiness = routes_ops.Readiness(own=OwnWrites(pools.values()))
    lifetime = LifetimePolicy(token_max_lifetime)
    state = ServerState(
        engine,
        limits,
        observe=metrics.statements,
        token_lifetime=lifetime,
        slots=plan.transactions,
    )
    app.state.envkeep = state
    problems.install(app)
    docs_page.install(app)
    inner: ASGIApp = HotRoutes(app.behind_front, state) if hot_routes else app.behind_front
    # Every route (the pages' and the API's), to name one a front layer answers for itself.
    routes = [*app.router.routes, *(route for router in ROUTERS for route in router.routes)]
    if cors_origins:
        inner = cors.Preflights(inner, cors_origins, routes)
    refusals = RefusalBudget(refusals_per_minute)
    front = observability.Observe(
        inner, metrics, state, max_body=max_body, refusals=refusals, routes=routes
    )
    app.front = cors.AllowOrigin(front, cors_origins) if cors_origins else front
    for router in ROUTERS:
        app.include_router(router)
    return app
