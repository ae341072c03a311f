"""Request ids, security headers, a body-size limit, Prometheus metrics and JSON logs.

Logs carry ids, routes, statuses and timings only — never a body, a header value or a token.
"""

from __future__ import annotations

import json
import math
import os
import random
import secrets
import threading
import time
from bisect import bisect_left
from itertools import accumulate
from typing import TYPE_CHECKING, Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import HistogramMetricFamily
from sqlalchemy import Engine, event
from starlette.concurrency import run_in_threadpool

from envkeep.api import docs_page
from envkeep.api.denials import REFUSALS, RefusalBudget, record_refusal
from envkeep.api.problems import problem
from envkeep.api.ratelimit import SharedLimiter, TooManyRequests
from envkeep.api.requestlog import stderr_lines

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from starlette.responses import Response
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from envkeep.api.deps import ServerState

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
        self.database = StatementTimes(self.registry)
        self._audit_sql: dict[str, bool] = {}  # whether a statement appends an audit event

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
                self.statement(sql, time.perf_counter() - started)

        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)

    def statement(self, sql: str, seconds: float) -> None:
        """Record one statement that took ``seconds`` (and count it if it appends an event)."""
        self.statements([(sql, seconds)])

    def statements(self, timed: Sequence[tuple[str, float]]) -> None:
        """Record statements that ran, each (its text, its seconds); count those that append
        an audit event. A request's dozen statements take the histogram's lock once."""
        self.database.observe_all([seconds for _sql, seconds in timed])
        appended = sum(1 for sql, _seconds in timed if self._appends(sql))
        if appended:
            self.audit_events.inc(appended)

    def _appends(self, sql: str) -> bool:
        appends = self._audit_sql.get(sql)
        if appends is None:
            appends = sql.lstrip()[:24].upper() == "INSERT INTO AUDIT_EVENTS"
            if len(self._audit_sql) < 4096:  # the app's statements are a few dozen texts
                self._audit_sql[sql] = appends
        return appends


def _le(bound: float) -> str:
    """A bucket's bound as Prometheus writes it (``0.005``, ``1.0``, ``+Inf``)."""
    return "+Inf" if bound == math.inf else repr(bound)


class StatementTimes:
    """``envkeep_database_seconds``: a histogram of statement times, with the buckets of
    Prometheus's default histogram. A read runs ten statements and ``Histogram.observe`` takes
    two locks for each (a twelfth of a read's own work in the server); this takes one."""

    NAME = "envkeep_database_seconds"

    def __init__(self, registry: CollectorRegistry) -> None:
        self._bounds = tuple(float(b) for b in Histogram.DEFAULT_BUCKETS)  # the last is +Inf
        self._counts = [0] * len(self._bounds)
        self._sum = 0.0
        self._lock = threading.Lock()
        registry.register(self)

    def observe(self, seconds: float) -> None:
        """One statement's time, in its bucket (the first whose bound is not below it)."""
        self.observe_all([seconds])

    def observe_all(self, times: Sequence[float]) -> None:
        """Statements' times, each in its bucket, under one lock."""
        places = [bisect_left(self._bounds, seconds) for seconds in times]
        with self._lock:
            for place in places:
                self._counts[place] += 1
            self._sum += sum(times)

    def collect(self) -> Iterator[HistogramMetricFamily]:
        with self._lock:
            counts, total = list(accumulate(self._counts)), self._sum
        yield HistogramMetricFamily(
            self.NAME,
            "Time in database statements",
            buckets=[(_le(b), c) for b, c in zip(self._bounds, counts, strict=True)],
            sum_value=total,
        )


def _route(scope: Scope) -> str:
    route = scope.get("route")
    return str(getattr(route, "path", "unmatched"))


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return ""


# Request ids need to be unique, not secret: 128 bits from a generator seeded once from the OS
# (no system call per request, unlike `secrets`), not a counter (which would tell every client
# how busy the server is).
_IDS = random.Random(secrets.randbits(128))  # noqa: S311
os.register_at_fork(after_in_child=lambda: _IDS.seed(secrets.randbits(128)))  # no shared ids


def _new_request_id() -> str:
    return f"{_IDS.getrandbits(128):032x}"


_LATENCY_CHILDREN = 512  # (route, method) pairs whose histogram child `Observe` keeps at hand

_EXTRA_HEADERS = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
# The docs page brings its own policy (`docs_page`): two would both apply, the stricter winning.
_PAGE_HEADERS = [h for h in _EXTRA_HEADERS if h[0] != b"content-security-policy"]


class Observe:
    """Pure ASGI middleware (no per-request task or body copy, unlike ``BaseHTTPMiddleware``):
    a request id, the per-IP limit, the body-size limit, metrics, one log line, the security
    headers on every response, and a refusal's audit event (``denials``)."""

    def __init__(
        self,
        app: ASGIApp,
        metrics: Metrics,
        state: ServerState,
        *,
        max_body: int,
        refusals: RefusalBudget | None = None,
    ) -> None:
        self.app = app
        self.refusals = refusals or RefusalBudget()
        self.metrics = metrics
        self.state = state
        self.max_body = max_body
        self._log: Any = None  # bound on the first request, once logging is configured
        # The latency histogram's child for each (route, method): `labels` checks and locks.
        self._latency: dict[tuple[str, str], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _header(scope, b"x-request-id")[:64] or _new_request_id()
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        own = _PAGE_HEADERS if scope["path"] == docs_page.PATH else _EXTRA_HEADERS
        extra = [(b"x-request-id", request_id.encode("latin-1")), *own]
        refused = await self._refusal(scope)
        if refused is not None:
            refused.headers.update({"X-Request-ID": request_id, **SECURITY_HEADERS})
            await refused(scope, receive, send)
            return
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), *extra]
                if status in REFUSALS:  # recorded before it is answered
                    await record_refusal(self.state, self.refusals, scope, status)
            await send(message)

        self.metrics.active.inc()
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            self.metrics.active.dec()
            self._record(scope, status, time.perf_counter() - started, request_id)

    async def _refusal(self, scope: Scope) -> Response | None:
        """429 over the per-IP limit, 413 over the body limit; None to go on."""
        client = scope.get("client")
        try:
            limiter = self.state.limits.per_ip
            key = client[0] if client else "?"
            what = "too many requests from this address"
            if isinstance(limiter, SharedLimiter):  # a database round trip: not on the loop
                await run_in_threadpool(limiter.take, key, what=what)
            else:
                limiter.take(key, what=what)
        except TooManyRequests as limited:
            headers = {"Retry-After": str(limited.retry_after)}
            return problem(429, limited.code, limited.message, hint=limited.hint, headers=headers)
        length = _header(scope, b"content-length") or "0"
        if not length.isdigit() or int(length) > self.max_body:
            return problem(413, "too_large", f"request bodies are limited to {self.max_body} bytes")
        return None

    def _record(self, scope: Scope, status: int, elapsed: float, request_id: str) -> None:
        route = _route(scope)
        key = (route, scope["method"])
        child = self._latency.get(key)
        if child is None:
            child = self.metrics.latency.labels(*key)
            if len(self._latency) < _LATENCY_CHILDREN:  # methods are the client's to choose
                self._latency[key] = child
        child.observe(elapsed)
        if status >= 400:
            self.metrics.errors.labels(route, str(status)).inc()
        if self._log is None:  # the proxy `get_logger` gives binds anew on every call
            self._log = structlog.get_logger("envkeep.api").bind()
        self._log.info(
            "request",
            request_id=request_id,
            method=scope["method"],
            route=route,
            status=status,
            ms=round(elapsed * 1000, 2),
            principal=scope.get("state", {}).get("principal_id"),
        )


_LINE = json.JSONEncoder(default=repr)


def _render_line(event: Any, **_options: Any) -> str:
    """structlog's ``JSONRenderer`` serializer: ``json.dumps`` of the event with ``default=repr``,
    one encoder for every line (``json.dumps`` with options makes one a call)."""
    return _LINE.encode(event)


def configure_logging() -> None:
    """structlog: one JSON object per line on stderr, the lines of one turn of the event loop
    written together (`requestlog.LoopLogger`)."""
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(serializer=_render_line),
        ],
        logger_factory=stderr_lines,
        cache_logger_on_first_use=True,
    )
