"""What every request passes first (`Observe`): a request id, security headers, the per-IP
and body-size limits, its metrics (`api/metrics.Metrics`) and one log line.

Logs carry ids, routes, statuses and timings only — never a body, a header value or a token.
"""

from __future__ import annotations

import os
import random
import re
import secrets
import time
from typing import TYPE_CHECKING, Any

import structlog
from starlette.concurrency import run_in_threadpool

from envkeep.api import docs_page
from envkeep.api.denials import REFUSALS, RefusalBudget, record_failed_login, record_refusal
from envkeep.api.outage_log import DatabaseOutage
from envkeep.api.problems import DATABASE_ERROR, failed, problem
from envkeep.api.rate_keys import address_key
from envkeep.api.ratelimit import SharedLimiter, TooManyRequests
from envkeep.api.refused_marks import keep_refused_mark
from envkeep.api.request_body import body_within, replay
from envkeep.api.route_names import name_route

if TYPE_CHECKING:
    from collections.abc import Iterable

    from starlette.responses import Response
    from starlette.routing import BaseRoute
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from envkeep.api.deps import ServerState
    from envkeep.api.metrics import Metrics

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
}


def _route(scope: Scope) -> str:
    route = scope.get("route")
    return str(getattr(route, "path", "unmatched"))


# A client's own X-Request-ID is kept (in the log line, beside the server's) only in this shape:
# it is the client's text, and a log line is no place for quotes, newlines or 4 KB of it.
_CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class _Head:
    """What ``Observe`` reads of a request's headers, in one pass: the client's request id if
    well formed, the Content-Length if any, whether a Transfer-Encoding (chunked) is named."""

    __slots__ = ("chunked", "client_id", "length")

    def __init__(self, scope: Scope) -> None:
        client_id = length = None
        chunked = False
        for key, value in scope["headers"]:
            if key == b"content-length":
                length = value.decode("latin-1")
            elif key == b"transfer-encoding":
                chunked = True
            elif key == b"x-request-id" and client_id is None:
                found = value.decode("latin-1")
                client_id = found if _CLIENT_REQUEST_ID.fullmatch(found) else ""
        self.client_id = client_id or None
        self.length = length
        self.chunked = chunked


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
# Probes and the scrape answer whatever the API's budget: a liveness probe answered 429 (or a
# rate store's failure) would get every replica restarted.
UNLIMITED = frozenset({"/healthz", "/readyz", "/metrics"})


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
        routes: Iterable[BaseRoute] = (),
    ) -> None:
        self.app = app
        # The server's routes, to name the route of a request refused here before the router
        # sees it (a 429, a 413), as the metrics and the log line label every other.
        self.routes = routes
        self.refusals = refusals or RefusalBudget()
        self.metrics = metrics
        self.state = state
        self.max_body = max_body
        self._log: Any = None  # bound on the first request, once logging is configured
        self.outage = DatabaseOutage()
        # The latency histogram's child for each (route, method): `labels` checks and locks.
        self._latency: dict[tuple[str, str], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _new_request_id()  # the server's own, whatever the client sent
        head = _Head(scope)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        own = _PAGE_HEADERS if scope["path"] == docs_page.PATH else _EXTRA_HEADERS
        extra = [(b"x-request-id", request_id.encode("latin-1")), *own]
        status = 0  # no answer started yet
        answered = 0.0  # when the answer's last byte went out (0: not yet)

        async def send_with_headers(message: Message) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), *extra]
                if status in REFUSALS:  # recorded before it is answered
                    await record_refusal(self.state, self.refusals, scope, status)
                if status >= 400:  # its session's last use, which its transaction rolled back
                    await keep_refused_mark(self.state, scope, status)
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                answered = time.perf_counter()
                await record_failed_login(self.state, self.refusals, scope)  # once answered

        self.metrics.active.inc()
        started = time.perf_counter()
        try:
            refused = await self._refusal(scope, head.length)
            if refused is None and head.chunked:  # counted as it comes, not taken on trust
                body = await body_within(receive, self.max_body)
                if body is None:
                    refused = self._too_large()
                else:
                    receive = replay(body, receive)
            if refused is not None:
                name_route(scope, self.routes)  # counted and logged under its route
                status = await _answer(refused, extra, scope, send)
                return
            try:
                await self.app(scope, receive, send_with_headers)
            except Exception as error:  # noqa: BLE001 -- logged as JSON, not as uvicorn's text
                status = await self._failed(error, request_id, status, extra, scope, send)
        finally:
            self.metrics.active.dec()
            # Up to the answer, not the failed login's audit after it: the client waits for
            # the one alone, and the time of the other would tell a known email from an
            # unknown one in the metrics and the log.
            elapsed = (answered or time.perf_counter()) - started
            self._record(scope, status or 500, elapsed, request_id, head.client_id)

    async def _refusal(self, scope: Scope, length: str | None) -> Response | None:
        """429 over the per-IP limit (probes and metrics have none), 413 over the body limit;
        None to go on."""
        if scope["path"] not in UNLIMITED:
            client = scope.get("client")
            try:
                limiter = self.state.limits.per_ip
                key = address_key(client[0] if client else None)
                what = "too many requests from this address"
                if isinstance(limiter, SharedLimiter):  # a database round trip: not on the loop
                    await run_in_threadpool(limiter.take, key, what=what)
                else:
                    limiter.take(key, what=what)
            except TooManyRequests as limited:
                headers = {"Retry-After": str(limited.retry_after)}
                return problem(
                    429, limited.code, limited.message, hint=limited.hint, headers=headers
                )
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            return self._too_large()
        return None

    def _too_large(self) -> Response:
        # Connection: close, so that the server stops reading the rest of the body.
        return problem(
            413,
            "too_large",
            f"request bodies are limited to {self.max_body} bytes",
            headers={"Connection": "close"},
        )

    async def _failed(
        self,
        error: Exception,
        request_id: str,
        status: int,
        extra: list[tuple[bytes, bytes]],
        scope: Scope,
        send: Send,
    ) -> int:
        """An unexpected error: logged as one JSON line (its traceback a field of it), not
        raised on to uvicorn, which would print it as plain text; ``problems.failed``'s 500 if
        nothing was answered yet (as FastAPI's error handler answers). The status the request
        is recorded with: 500 either way, since an answer that had started was cut short (the
        line says what its head said, ``answered``)."""
        log = self._logger()
        if status:
            log.error("unhandled error", request_id=request_id, answered=status, exc_info=error)
            return 500
        log.error("unhandled error", request_id=request_id, exc_info=error)
        return await _answer(failed(request_id), extra, scope, send)

    def _logger(self) -> Any:
        if self._log is None:  # the proxy `get_logger` gives binds anew on every call
            self._log = structlog.get_logger("envkeep.api").bind()
        return self._log

    def _record(
        self, scope: Scope, status: int, elapsed: float, request_id: str, client_id: str | None
    ) -> None:
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
        log = self._logger()
        client = scope.get("client")
        database_error = scope["state"].get(DATABASE_ERROR)
        self.outage.note(scope["path"], status, database_error)
        (log.info if status < 500 else log.error)(
            "request",
            request_id=request_id,
            method=scope["method"],
            route=route,
            status=status,
            ms=round(elapsed * 1000, 2),
            principal=scope["state"].get("principal_id"),
            ip=client[0] if client else None,
            **({} if client_id is None else {"client_request_id": client_id}),
            **({} if database_error is None else {DATABASE_ERROR: database_error}),
        )


async def _answer(
    response: Response, extra: list[tuple[bytes, bytes]], scope: Scope, send: Send
) -> int:
    """Send ``response`` of ``Observe``'s own with the headers of every answer; its status."""
    response.raw_headers.extend(extra)
    await response(scope, _no_body, send)
    return response.status_code


async def _no_body() -> Message:  # what a response of ``Observe``'s own may ask: nothing more
    return {"type": "http.disconnect"}
