"""Request ids, security headers, a body-size limit, Prometheus metrics and JSON logs.

Logs carry ids, routes, statuses and timings only — never a body, a header value or a token.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy import Engine, event

from envkeep.api.problems import problem
from envkeep.api.ratelimit import TooManyRequests

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from fastapi import FastAPI, Request, Response

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
}


class Metrics:
    """The server's Prometheus metrics, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "envkeep_request_seconds",
            "Request latency",
            ["route", "method"],
            registry=self.registry,
        )
        self.errors = Counter(
            "envkeep_request_errors_total",
            "Responses with status >= 400",
            ["route", "status"],
            registry=self.registry,
        )
        self.active = Gauge("envkeep_requests_active", "Requests in flight", registry=self.registry)
        self.audit_events = Counter(
            "envkeep_audit_events_total", "Audit events written", registry=self.registry
        )
        self.database = Histogram(
            "envkeep_database_seconds", "Time in database statements", registry=self.registry
        )

    def watch(self, engine: Engine) -> None:
        """Time every statement on ``engine``; count audit events as they are inserted."""

        def before(
            _conn: Any, _cursor: Any, _sql: str, _params: Any, context: Any, _many: bool
        ) -> None:
            context._envkeep_started = time.perf_counter()

        def after(
            _conn: Any, _cursor: Any, sql: str, _params: Any, context: Any, _many: bool
        ) -> None:
            started = getattr(context, "_envkeep_started", None)
            if started is not None:
                self.database.observe(time.perf_counter() - started)
            if sql.lstrip().upper().startswith("INSERT INTO AUDIT_EVENTS"):
                self.audit_events.inc()

        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)


def _route(request: Request) -> str:
    route = request.scope.get("route")
    return str(getattr(route, "path", "unmatched"))


def install(app: FastAPI, metrics: Metrics, *, max_body: int) -> None:
    """Add the middleware to ``app``."""
    log = structlog.get_logger("envkeep.api")

    @app.middleware("http")
    async def observe(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request_id = request.headers.get("x-request-id", "")[:64] or uuid.uuid4().hex
        request.state.request_id = request_id
        try:
            request.app.state.envkeep.limits.per_ip.take(
                request.client.host if request.client else "?"
            )
        except TooManyRequests as limited:
            refused = problem(
                429,
                limited.code,
                limited.message,
                hint=limited.hint,
                headers={"Retry-After": str(limited.retry_after)},
            )
            refused.headers.update(SECURITY_HEADERS)
            return refused
        length = request.headers.get("content-length", "0")
        if not length.isdigit() or int(length) > max_body:
            response: Response = problem(
                413, "too_large", f"request bodies are limited to {max_body} bytes"
            )
        else:
            metrics.active.inc()
            started = time.perf_counter()
            try:
                response = await call_next(request)
            finally:
                metrics.active.dec()
            elapsed = time.perf_counter() - started
            route = _route(request)
            metrics.latency.labels(route, request.method).observe(elapsed)
            if response.status_code >= 400:
                metrics.errors.labels(route, str(response.status_code)).inc()
            log.info(
                "request",
                request_id=request_id,
                method=request.method,
                route=route,
                status=response.status_code,
                ms=round(elapsed * 1000, 2),
                principal=getattr(request.state, "principal_id", None),
            )
        response.headers["X-Request-ID"] = request_id
        response.headers.update(SECURITY_HEADERS)
        return response


def configure_logging() -> None:
    """structlog: one JSON object per line on stderr."""
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(),
        ],
        logger_factory=structlog.PrintLoggerFactory(),
        cache_logger_on_first_use=True,
    )
