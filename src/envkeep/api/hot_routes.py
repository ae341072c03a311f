"""The two routes every client calls all the time, answered ahead of FastAPI's router.

``GET …/snapshot`` and ``POST …/secrets`` through FastAPI cost more than the rest of the
request: its middleware stack, router, dependency solving and request model. This ASGI layer
sits inside ``observability.Observe`` (so the request id, security headers, limits, metrics
and log line are the same code for every route) and in front of FastAPI's whole stack
(``app.ServerApp``). It takes a request only in the plain shapes clients send, and runs it
through the very functions FastAPI's routes call (``routes_secrets.read_snapshot`` and
``write_batch``: same use cases, same transaction, same response) with the same error answers
(``problems.for_error``, and ``problems.failed``'s 500 for anything else).

Anything else goes on to FastAPI, which keeps the documented routes (OpenAPI) and answers what
this does not take: another method, a query parameter or value it does not recognise, a body
that is not valid JSON of a ``schemas.Writes`` (FastAPI then reports the validation error),
an unusual content type, an application mounted under a root path.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from pydantic import ValidationError

from envkeep.api import problems, routes_secrets, schemas
from envkeep.api.client_command import HEADER, client_command
from envkeep.api.denials import note_refusal
from envkeep.api.deps import Caller, ServerState, token_of
from envkeep.api.request_body import body_within, replay

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from starlette.responses import Response
    from starlette.types import ASGIApp, Receive, Scope, Send

_PATH = re.compile(
    r"/v1/workspaces/([^/]+)/projects/([^/]+)/environments/([^/]+)/(snapshot|secrets)"
)
_BOOLEANS = {"true": True, "false": False}
_COMMAND = HEADER.lower().encode()
_WANTED = frozenset((b"authorization", b"if-match", b"content-type", _COMMAND))


def _headers(scope: Scope) -> dict[bytes, str]:
    """The first value of each header this layer reads (as Starlette's ``Headers.get``)."""
    found: dict[bytes, str] = {}
    for key, value in scope["headers"]:
        if key in _WANTED and key not in found:
            found[key] = value.decode("latin-1")
    return found


def _services(query: bytes) -> tuple[bool, list[str] | None]:
    """(taken, services) for a snapshot query: no query, ``service`` (any number) and
    ``all_scopes=true|false`` (at most once) are taken; anything else is FastAPI's to parse."""
    if not query:
        return True, []
    services: list[str] = []
    all_scopes: list[str] = []
    for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if key == "service":
            services.append(value)
        elif key == "all_scopes":
            all_scopes.append(value)
        else:
            return False, None
    if len(all_scopes) > 1 or any(v not in _BOOLEANS for v in all_scopes):
        return False, None
    every = bool(all_scopes) and _BOOLEANS[all_scopes[0]]
    return True, None if every else services


def _writes(headers: dict[bytes, str], body: bytes) -> schemas.Writes | None:
    """The request's batch, or None when FastAPI should parse (and report on) it."""
    media_type = headers.get(b"content-type", "").partition(";")[0].strip().lower()
    if media_type != "application/json":
        return None
    try:
        return schemas.Writes.model_validate_json(body)
    except ValidationError:  # not JSON, or not a batch: FastAPI says which
        return None


class HotRoutes:
    """ASGI middleware: the snapshot and write routes, else on to ``app`` (FastAPI's stack)."""

    def __init__(self, app: ASGIApp, state: ServerState) -> None:
        self.app = app
        self.state = state
        self._routes: dict[str, Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        matched = None
        if scope["type"] == "http" and not scope.get("root_path"):
            matched = _PATH.fullmatch(scope["path"])
        if matched is None:
            await self.app(scope, receive, send)
        elif matched[4] == "snapshot" and scope["method"] == "GET":
            await self._snapshot(scope, receive, send, matched)
        elif matched[4] == "secrets" and scope["method"] == "POST":
            await self._write(scope, receive, send, matched)
        else:
            await self.app(scope, receive, send)

    async def _snapshot(self, scope: Scope, receive: Receive, send: Send, m: re.Match[str]) -> None:
        taken, services = _services(scope["query_string"])
        if not taken:
            await self.app(scope, receive, send)
            return
        found, headers = self._enter(scope, "/snapshot", m), _headers(scope)
        where = (m[1], m[2], m[3])

        async def answer(caller: Caller) -> Response:
            return await routes_secrets.read_snapshot(found, caller, where, services)

        await self._answer(scope, receive, send, headers, answer)

    async def _write(self, scope: Scope, receive: Receive, send: Send, m: re.Match[str]) -> None:
        messages = await body_within(receive)  # no limit here: `Observe` held it to one
        assert messages is not None  # body_within without a limit always has the messages
        headers = _headers(scope)
        complete = messages[-1]["type"] == "http.request"
        body = b"".join(message.get("body", b"") for message in messages) if complete else b""
        batch = _writes(headers, body) if complete else None
        if batch is None:
            await self.app(scope, replay(messages, receive), send)
            return
        found, where = self._enter(scope, "/secrets", m), (m[1], m[2], m[3])
        if_match = headers.get(b"if-match")

        async def answer(caller: Caller) -> Response:
            return await routes_secrets.write_batch(found, caller, where, batch, if_match)

        await self._answer(scope, receive, send, headers, answer)

    def _enter(self, scope: Scope, suffix: str, m: re.Match[str]) -> ServerState:
        """Mark the request with FastAPI's route (the metrics' label) and its parameters, as
        FastAPI's router would; the server's state."""
        scope["path_params"] = {"workspace_id": m[1], "project": m[2], "environment": m[3]}
        path = routes_secrets.PREFIX + suffix
        if path not in self._routes:
            routes = routes_secrets.router.routes
            self._routes[path] = next(r for r in routes if getattr(r, "path", None) == path)
        scope["route"] = self._routes[path]
        return self.state

    async def _answer(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: dict[bytes, str],
        answer: Callable[[Caller], Awaitable[Response]],
    ) -> None:
        state: dict[str, Any] = scope.setdefault("state", {})
        client = scope.get("client")
        try:
            caller = Caller(
                token_of(headers.get(b"authorization")),
                state.get("request_id"),
                client[0] if client else None,
                state,
                client_command(headers.get(_COMMAND)),
            )
            response = await answer(caller)
        except Exception as error:
            note_refusal(scope, error)  # as FastAPI's error handler does (`problems`)
            problems.note_unavailable(scope, error)
            refused = problems.for_error(error)
            if refused is None:  # a 500, answered as FastAPI's error handler answers it
                await problems.failed(problems.request_id_of(scope))(scope, receive, send)
                raise  # for the server's log, as for any route
            response = refused
        await response(scope, receive, send)
