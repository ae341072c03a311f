"""One error shape for the whole API: RFC 9457 problem+json with envkeep's stable codes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc
from starlette.exceptions import HTTPException

from envkeep.api.denials import note_refusal
from envkeep.core.errors import (
    EnvkeepError,
    NoTransactionSlot,
    ServerFailed,
    StorageFull,
    StoreUnavailable,
)
from envkeep.store.collisions import is_collision
from envkeep.store.disk_full import is_disk_full

if TYPE_CHECKING:
    from fastapi import FastAPI, Request
    from starlette.types import Scope

MEDIA_TYPE = "application/problem+json"
# The database is down, refuses connections, or is busy past its timeout: 503, not a 500.
_UNAVAILABLE = (exc.OperationalError, exc.TimeoutError)


def problem(
    status: int,
    code: str,
    title: str,
    *,
    hint: str | None = None,
    headers: dict[str, str] | None = None,
    fields: dict[str, str] | None = None,
) -> JSONResponse:
    """A problem+json response (``fields``: the error's own members, ``EnvkeepError.fields``)."""
    body: dict[str, object] = {
        "type": f"https://envkeep.dev/problems/{code}",
        "title": title,
        "status": status,
        "code": code,
        **(fields or {}),
    }
    if hint:
        body["hint"] = hint
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def for_error(error: Exception) -> JSONResponse | None:
    """The problem+json answer to an error a use case raised, or None for an unexpected one
    (a 500: ``failed``); every route answers through this, FastAPI's and ``hot_routes``'.
    An envkeep error of status 500 (a store the server cannot use, say) is the server's own
    failure too: its text names files and tells the operator what to do, so it goes to the log
    and the client gets ``failed``'s answer with the request id."""
    if isinstance(error, EnvkeepError) and error.status != ServerFailed.status:
        retry = getattr(error, "retry_after", None)
        headers = {"Retry-After": str(retry)} if retry is not None else None
        return problem(
            error.status,
            error.code,
            error.message,
            hint=error.hint,
            headers=headers,
            fields=error.fields(),
        )
    if isinstance(error, exc.IntegrityError):
        return problem(
            409,
            "conflict",
            "a concurrent change won; nothing was written",
            hint="read again and retry",
        )
    if isinstance(error, _UNAVAILABLE) and is_collision(error):
        return problem(
            409,
            "conflict",
            "this change collided with another one at the same moment; nothing was written",
            hint="send it again",
        )
    if isinstance(error, _UNAVAILABLE) and is_disk_full(error):
        return problem(
            503,
            StorageFull.code,
            "the server's database is out of disk space; nothing was written",
            hint="retry once the server's operator has freed space",
            headers={"Retry-After": "30"},
        )
    if isinstance(error, _UNAVAILABLE):  # its message may name hosts and users: not shown
        return problem(
            503,
            StoreUnavailable.code,
            "the server's database does not answer",
            hint="retry in a moment",
            headers={"Retry-After": "5"},
        )
    return None


DATABASE_ERROR = "database_error"  # the request's state key, and its log line's field


def note_unavailable(scope: Scope, error: BaseException) -> None:
    """Keep, for the request's log line, why the database did not answer when ``error`` is
    answered as a 503: the client is told only "retry in a moment", and a disk that is full
    or a file that is read-only would otherwise leave the operator nothing to go on. The
    driver's first line alone ("database or disk is full", "attempt to write a readonly
    database"): SQLAlchemy's own text adds the statement and its parameters."""
    if isinstance(error, _UNAVAILABLE) and not is_collision(error):  # a 409, no outage
        scope.setdefault("state", {})[DATABASE_ERROR] = database_reason(error)
    elif isinstance(error, NoTransactionSlot):  # its own wait, not the database's words
        scope.setdefault("state", {})[DATABASE_ERROR] = error.reason


def database_reason(error: BaseException) -> str:
    """What the database driver said of ``error``, in one line of at most 300 characters."""
    cause = error.orig if isinstance(error, exc.DBAPIError) and error.orig else error
    lines = str(cause).strip().splitlines()
    return lines[0][:300] if lines else type(cause).__name__


def failed(request_id: str | None) -> JSONResponse:
    """The answer to an unexpected error (a 500): the server's fault, and the request id its
    log line carries. Nothing of the error itself: its text may hold SQL, parameters, values."""
    said = f" (request id {request_id})" if request_id else ""
    return problem(
        ServerFailed.status,
        ServerFailed.code,
        f"the server failed with an error of its own{said}",
        hint="retry; if it persists, give the server's operator the request id (the server's"
        " log line for it has the error)",
        fields={"request_id": request_id} if request_id else None,
    )


def request_id_of(scope: Scope) -> str | None:
    """The request id ``observability.Observe`` gave the request, if it passed there."""
    found = scope.get("state", {}).get("request_id")
    return found if isinstance(found, str) else None


def _answer(request: Request, error: Exception) -> JSONResponse:
    note_refusal(request.scope, error)  # as ``hot_routes`` does: a hidden project's 404
    note_unavailable(request.scope, error)
    found = for_error(error)
    if found is None:  # an envkeep error of status 500: on to `unexpected`'s answer and the log
        raise error
    return found


def install(app: FastAPI) -> None:
    """Map every error the API can raise to problem+json."""
    app.add_exception_handler(EnvkeepError, _answer)
    app.add_exception_handler(exc.IntegrityError, _answer)
    for unavailable in _UNAVAILABLE:
        app.add_exception_handler(unavailable, _answer)

    # Anything else: Starlette's error middleware sends this, then raises the error on to
    # ``Observe``, which writes its log line (as ``hot_routes`` does).
    @app.exception_handler(Exception)
    def unexpected(request: Request, _error: Exception) -> JSONResponse:
        return failed(request_id_of(request.scope))

    @app.exception_handler(RequestValidationError)
    def invalid(_request: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0] if error.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return problem(422, "invalid_request", f"invalid request: {where}: {first.get('msg', '')}")

    @app.exception_handler(HTTPException)
    def http_error(_request: Request, error: HTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
            error.status_code, "http_error"
        )
        return problem(
            error.status_code,
            code,
            str(error.detail),
            headers=dict(error.headers) if error.headers else None,
        )
