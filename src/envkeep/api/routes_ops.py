"""For operators: liveness, readiness (the database answers and is migrated), metrics."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import APIRouter, HTTPException, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from envkeep.api.deps import state
from envkeep.api.problems import DATABASE_ERROR, database_reason, problem
from envkeep.store.lock_wait import OWN_LOCKED, is_locked, is_own_write
from envkeep.store.migrate import stored_revision
from envkeep.store.schema_version import schema_state

if TYPE_CHECKING:
    from envkeep.store.own_writes import OwnWrites

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


# How long /readyz waits for the database's answer: a database that hangs (a stopped process,
# a frozen VM) answers no statement, and the connections' own deadline
# (`store.answer_deadline`, 12 s by default) is longer than a probe's timeout.
READY_TIMEOUT_S = 3.0
# The share of that a SQLite file's write lock is waited for: a file another process holds
# locked is then answered as such (SQLite's busy timeout, 10 s, outlasts the probe's wait).
READY_LOCK_SHARE = 0.8


# /readyz's hint for a SQLite file another process holds locked: any client may ask it, so
# what holds the file and what to do (`sqlite_unopened.HELD_LOCKED`) is said in the server's
# log only, on the outage's first line.
LOCKED_HINT = "the server's log says what to do: its 'database unavailable' line"
# /readyz's for a lock that this server's own write holds past the probe's wait (`OwnWrites`):
# not another process's, whose hint says to stop it.
OWN_WRITE_HINT = (
    "a write of this server's own (a large import, a key rotation) holds it; it ends on its own"
)


class Readiness:
    """One readiness check of the database at a time. The route needs no token and spends no
    rate budget (probes must not be throttled), so a flood of it must not become a flood of
    database connections: requests that arrive while a check runs wait for the next one and
    share its answer, and an answer is shared only with requests that came before that check
    started (none is older than the request it answers). A request waits ``timeout`` seconds
    at most (TimeoutError); the check it gave up on runs on in its worker thread, and later
    requests wait for it rather than start another (a frozen database holds one thread, not
    one per probe)."""

    def __init__(self, timeout: float = READY_TIMEOUT_S, own: OwnWrites | None = None) -> None:
        self.timeout = timeout
        self.own = own  # whose write holds a SQLite lock the check gave up on
        self.lock_wait = timeout * READY_LOCK_SHARE
        self._started = -math.inf
        self._check: asyncio.Future[str | Exception | None] | None = None

    async def revision(self, probe: Callable[[], str | Exception | None]) -> str | Exception | None:
        asked = time.monotonic()
        async with asyncio.timeout(self.timeout):
            while True:
                check = self._check
                if check is not None and self._started >= asked:
                    return await asyncio.shield(check)
                if check is None or check.done():
                    self._started = time.monotonic()
                    self._check = asyncio.ensure_future(run_in_threadpool(probe))
                else:  # a check older than the request: its end, then a check of our own
                    await asyncio.wait([check])


@router.get("/readyz", response_model=None)
async def readyz(request: Request) -> dict[str, str] | Response:
    """The database answers and is at the schema this server needs (`Readiness`)."""
    checks: Readiness = request.app.state.readiness
    try:
        revision = await checks.revision(lambda: _revision(request, checks.lock_wait))
    except TimeoutError:
        said = f"no answer within {checks.timeout:g} s"
        return _unanswered(request, said, "the database does not answer in time")
    if isinstance(revision, Exception):
        said = database_reason(revision)
        if is_locked(said) and checks.own is not None and checks.own.holding():
            said = OWN_LOCKED
        return _unanswered(request, said, "the database does not answer")
    watch = state(request).schema
    watch.note(revision)
    standing = schema_state(revision)
    if standing == "current" and watch.changed:  # it changed, and came back: still refused
        return problem(
            503,
            "not_ready",
            "the database schema changed while this server ran",
            hint="restart this server with the envkeep of the database's schema",
        )
    if standing == "behind":
        return problem(
            503, "not_ready", "the database schema is behind", hint="envkeep server migrate"
        )
    if standing == "ahead":  # a newer envkeep migrated it: this replica is the one to replace
        return problem(
            503,
            "not_ready",
            "the database schema is ahead: a newer envkeep migrated it",
            hint="replace this server with the envkeep that migrated the database",
        )
    return {"status": "ready"}


def _unanswered(request: Request, said: str, title: str) -> Response:
    """503 ``title``, the database having said ``said`` (for the request's log line and the
    outage's); a SQLite file another process holds locked is named as such (the cause, for
    the probe's reader; what to do, about the server's storage, is the log's), and one this
    server's own write holds (`OwnWrites`) as that, blaming no other process."""
    request.scope.setdefault("state", {})[DATABASE_ERROR] = said
    if is_own_write(said):
        return problem(
            503,
            "not_ready",
            "the database is locked by this server's own write",
            hint=OWN_WRITE_HINT,
        )
    if is_locked(said):
        return problem(503, "not_ready", "the database is locked", hint=LOCKED_HINT)
    return problem(503, "not_ready", title)


def _revision(request: Request, lock_wait: float) -> str | Exception | None:
    """The database's schema revision, or the error that kept it from answering (a SQLite
    file's lock waited for ``lock_wait`` seconds)."""
    try:
        return stored_revision(state(request).engine, lock_wait_s=lock_wait)
    except Exception as error:  # noqa: BLE001 - any database failure means "not ready"
        return error


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """Prometheus metrics (404, as a path not served, when they have a port of their own)."""
    if request.app.state.metrics_elsewhere:
        raise HTTPException(404, "Not Found")
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
