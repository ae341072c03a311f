"""One log line when the database starts failing the server's requests, and one when it answers
again: an outage fails every request, and its request lines alone (one per request, each with
its `database_error`) say neither when it began nor how long it lasted. The first line of one
that SQLite's lock caused says what to do, as the start's error would (`sqlite_unopened`)."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

import structlog

from envkeep.api.sqlite_unopened import HELD_LOCKED
from envkeep.store.lock_wait import is_locked, is_own_write

if TYPE_CHECKING:
    from collections.abc import Callable

# Requests that reach the database (a probe's readiness check, the API), unlike `/healthz` or
# `/metrics`: only their success says that the database answers again.
_USES_DATABASE = ("/v1/", "/readyz")


# The first line's hint for a lock a write of the server's own held (`own_writes`): no other
# process to stop.
OWN_WRITE_HELD = (
    "a write of this server's own held the database's lock past a probe's wait (a large"
    " import, a key rotation): it ends on its own; if such writes are usual, a readiness probe"
    " may allow more failures in a row"
)


def _locked_hint(reason: str) -> str:
    return OWN_WRITE_HELD if is_own_write(reason) else HELD_LOCKED


class DatabaseOutage:
    """The failure bursts of one server process. ``failed`` for each request answered 503
    because of the database, ``served`` for every other; a burst is logged when it begins
    (`database unavailable`), at most once per ``interval`` seconds while it lasts (`database
    still unavailable`) and when it ends (`database available again`), with how many requests
    it failed and for how long."""

    def __init__(self, interval: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._began: float | None = None
        self._told = 0.0
        self._failed = 0
        self._log: Any = None

    def note(self, path: str, status: int, database_error: str | None) -> None:
        """A request of ``path`` answered ``status``; ``database_error``: why the database
        failed it (``problems.DATABASE_ERROR``), None if it did not."""
        if database_error is None:
            self.served(path, status)
        else:
            self.failed(database_error)

    def failed(self, reason: str) -> None:
        """A request was answered 503 because the database said ``reason``."""
        now = self._clock()
        with self._lock:
            self._failed += 1
            if self._began is None:
                self._began = self._told = now
                event = "database unavailable"
            elif now - self._told >= self.interval:
                self._told = now
                event = "database still unavailable"
            else:
                return
            seconds, failed = now - self._began, self._failed
        first = event == "database unavailable"
        hint = {"hint": _locked_hint(reason)} if first and is_locked(reason) else {}
        self._logger().error(
            event, database_error=reason, failed_requests=failed, seconds=round(seconds, 1), **hint
        )

    def served(self, path: str, status: int) -> None:
        """A request of ``path`` was answered ``status`` without a database failure."""
        if self._began is None or status >= 400 or not path.startswith(_USES_DATABASE):
            return  # the usual case, decided without the lock
        ended = self._end()
        if ended is not None:
            seconds, failed = ended
            self._logger().info(
                "database available again", failed_requests=failed, seconds=round(seconds, 1)
            )

    def _end(self) -> tuple[float, int] | None:
        """End the burst (if another request has not): how long it lasted, what it failed."""
        with self._lock:
            began, failed = self._began, self._failed
            self._began, self._failed = None, 0
        return None if began is None else (self._clock() - began, failed)

    def _logger(self) -> Any:
        if self._log is None:  # bound once logging is configured, as `Observe` binds its own
            self._log = structlog.get_logger("envkeep.api").bind()
        return self._log
