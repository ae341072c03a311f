"""CORS for the web origins the operator names (``--cors-origin``); none by default.

Two pure ASGI layers, put in place by ``app.create_app`` only when an origin is named, so that
a server without CORS runs none of this:

- ``AllowOrigin``, in front of ``observability.Observe``: every answer to a request whose
  ``Origin`` is named gets ``Access-Control-Allow-Origin`` (that origin) and
  ``Access-Control-Expose-Headers``, and every answer ``Vary: Origin`` (a shared cache must
  tell an allowed page's copy from another's), the refusals ``Observe`` answers itself included (a
  429's ``Retry-After``, a 413, a 500): without them a page sees a bare network error.
- ``Preflights``, behind ``Observe``: a preflight (``OPTIONS`` with ``Origin`` and
  ``Access-Control-Request-Method``) from a named origin is answered 204 with the methods
  and request headers the API takes. Behind ``Observe``, a preflight has its request id, the
  security headers, the per-IP limit and its log line, as any request; its metrics and log
  line name the route it asks about (a path no route takes stays ``unmatched``).

A request from any other origin, a preflight too, gets no CORS header: it goes on as if CORS
were off (a preflight then gets FastAPI's 405). No credentials (cookies) are allowed: the API
takes bearer tokens only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import Response

from envkeep.api.route_names import name_route

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

    from starlette.routing import BaseRoute
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

METHODS = ("DELETE", "GET", "PATCH", "POST")  # every method a route of the API takes
REQUEST_HEADERS = ("Authorization", "Content-Type", "If-Match", "X-Request-ID")
EXPOSED_HEADERS = ("ETag", "Retry-After", "X-Request-ID")
MAX_AGE = 600  # seconds a browser may keep a preflight's answer


def _origin(scope: Scope) -> bytes | None:
    """The request's ``Origin`` header, if any."""
    for key, value in scope["headers"]:
        if key == b"origin":
            return bytes(value)
    return None


class AllowOrigin:
    """ASGI middleware: the CORS headers on every answer to a request from ``origins``."""

    def __init__(self, app: ASGIApp, origins: Collection[str]) -> None:
        self.app = app
        self.origins = frozenset(origin.encode("ascii") for origin in origins)
        self._exposed = ", ".join(EXPOSED_HEADERS).encode("ascii")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin = _origin(scope)
        # `Vary: Origin` on every answer, not only an allowed origin's: a shared cache must not
        # hand a page the copy it kept of an answer made without the allow header.
        extra = [(b"vary", b"Origin")]
        if origin is not None and origin in self.origins:
            extra += [
                (b"access-control-allow-origin", origin),
                (b"access-control-expose-headers", self._exposed),
            ]

        async def send_allowed(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_allowed)


class Preflights:
    """ASGI middleware: a preflight from ``origins`` answered, anything else on to ``app``.
    ``routes`` (the API's) name the route a preflight asks about, for the metrics and log line."""

    def __init__(self, app: ASGIApp, origins: Collection[str], routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.routes = routes
        self.origins = frozenset(origin.encode("ascii") for origin in origins)
        self._headers = {
            "Access-Control-Allow-Methods": ", ".join(METHODS),
            "Access-Control-Allow-Headers": ", ".join(REQUEST_HEADERS),
            "Access-Control-Max-Age": str(MAX_AGE),
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "OPTIONS" and self._preflight(scope):
            name_route(scope, self.routes)  # for the metrics and log line
            await Response(status_code=204, headers=self._headers)(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    def _preflight(self, scope: Scope) -> bool:
        names = {key for key, _value in scope["headers"]}
        return b"access-control-request-method" in names and _origin(scope) in self.origins
