"""How long a server process waits for PostgreSQL to answer, when the database does not.

``statement_timeout`` bounds what PostgreSQL runs, and the transaction slots bound the wait
for a slot; neither helps when PostgreSQL itself stops answering with connections open (its
processes stopped, its VM frozen, a network that drops everything): libpq then waits on the
socket for ever, and a request with it, holding its transaction slot and its pool connection.
A serving engine's connections (``store.answering_connection``) give up each wait for the
database at the deadline of the work it belongs to: the connection is closed (the pool
discards it; the statement in flight, once PostgreSQL resumes, finds its client gone and
rolls back, unless it was the COMMIT), and the caller gets ``NoAnswer`` (a psycopg
``OperationalError``: a 503).

The deadline is the statement timeout in force plus ``MARGIN_S``: while the database answers,
its own cancel always comes first. It runs from the start of the request's database work
(``database_work``, which the server's transaction layer opens once it holds a slot), so that
a request's waits, connecting included, add up to one deadline, not one each; a wait outside
any (the readiness probe's) has the whole deadline to itself. A wait that starts once the work
spent its deadline (a long request on a database that answers) still gets ``MARGIN_S``: the
deadline bounds a database that stopped answering, never a request's length.
``statement_timeout=0`` in the URL (no timeout) means no deadline either.
"""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

# The database's own cancel (`statement_timeout`) comes this much earlier than the deadline:
# enough for it to reach the server process over a slow link.
MARGIN_S = 2.0
_STARTED: ContextVar[float | None] = ContextVar("envkeep_database_work", default=None)
_TIMEOUT = re.compile(r"statement_timeout\s*=\s*(\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?\b")
_UNIT_MS = {"us": 0.001, "ms": 1, "s": 1_000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}


@contextmanager
def database_work() -> Iterator[None]:
    """The deadline of every database wait inside runs from now (worker threads started
    inside inherit it: they copy the context)."""
    token = _STARTED.set(time.monotonic())
    try:
        yield
    finally:
        _STARTED.reset(token)


def deadline_of(options: str, default_ms: int) -> float | None:
    """The deadline, in seconds, of a connection whose libpq ``options`` are these: the
    statement timeout they set (else ``default_ms``) plus ``MARGIN_S``; None when they set no
    timeout (0)."""
    found = _TIMEOUT.search(options)
    timeout_ms = float(default_ms)
    if found is not None:
        timeout_ms = float(found.group(1)) * _UNIT_MS[found.group(2) or "ms"]
    return timeout_ms / 1000 + MARGIN_S if timeout_ms > 0 else None


def within_work() -> bool:
    """Whether a ``database_work`` is running (in this context)."""
    return _STARTED.get() is not None


def left_of(deadline: float) -> float:
    """The seconds left of ``deadline`` for the current database work (all of it outside
    one)."""
    started = _STARTED.get()
    return deadline if started is None else deadline - (time.monotonic() - started)
