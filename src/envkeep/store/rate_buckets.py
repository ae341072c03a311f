"""Rate-limit token buckets shared by every server process, in the server's database.

A take is ONE statement (``INSERT … ON CONFLICT … DO UPDATE … RETURNING``) that refills the
bucket from the wall-clock seconds passed since its last take, spends from it when it can and
says whether it did; the row lock PostgreSQL takes for the upsert makes concurrent takes from any
number of processes queue, so no take is lost or counted twice. It runs in its own autocommit
transaction on its own connection pool, never inside a request's transaction: a request that
holds a write lock must not wait on the limiter, nor the limiter on it.

PostgreSQL only: SQLite lets one connection write at a time, so a second connection writing a
bucket while the request's transaction holds the write lock would wait for it (a deadlock
between the request's two connections); and SQLite serves one process anyway, whose in-memory
buckets are enough.
"""

from __future__ import annotations

import hashlib
import time
from typing import TYPE_CHECKING

from sqlalchemy import text

from envkeep.core.errors import UsageError
from envkeep.store.answer_deadline import database_work
from envkeep.store.database_url import is_postgresql
from envkeep.store.engine import serving_engine
from envkeep.store.pool_size import pool_arguments

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Engine

# LEAST(...) is the bucket topped up for the seconds since its last take, never backwards
# whatever another process's clock says; it is spelled out where SQL needs it.
TAKE_SQL = text(
    """
    INSERT INTO rate_buckets AS b (key, tokens, updated, granted)
    VALUES (:key, CASE WHEN :burst >= :cost THEN :burst - :cost ELSE :burst END, :now,
            :burst >= :cost)
    ON CONFLICT (key) DO UPDATE SET
        tokens = CASE
            WHEN LEAST(:burst, b.tokens + GREATEST(:now - b.updated, 0) * :rate) >= :cost
            THEN LEAST(:burst, b.tokens + GREATEST(:now - b.updated, 0) * :rate) - :cost
            ELSE LEAST(:burst, b.tokens + GREATEST(:now - b.updated, 0) * :rate)
        END,
        updated = GREATEST(b.updated, :now),
        granted = LEAST(:burst, b.tokens + GREATEST(:now - b.updated, 0) * :rate) >= :cost
    RETURNING tokens, granted
    """
)
# A batch at a time: the whole of a table grown large (an hour of requests from many
# addresses) took longer than a take's bound, was cancelled at every sweep, and so never went.
# By ctid: `key IN (SELECT key …)` is planned as a join that reads the whole table again.
SWEEP_SQL = text(
    "DELETE FROM rate_buckets WHERE ctid = ANY(ARRAY("
    "SELECT ctid FROM rate_buckets WHERE updated < :before LIMIT :batch))"
)
SWEEP_BATCH = 20_000  # rows; a full batch leaves the next take to sweep again
SWEEP_EVERY = 600.0  # seconds between two sweeps by one process
IDLE = 3600.0  # a bucket untouched this long is full again: its row can go
MAX_KEY = 400  # the column's length
# A take that waits longer (a lock on the table, a database under strain) is given up, and the
# process counts the request in its own buckets (`api.ratelimit.SharedLimiter`): every request
# takes two, in front of its route, so the requests' own 10 s bound would cost each one 20 s.
TAKE_TIMEOUT_MS = 1_000


class SharedBuckets:
    """Token buckets in the ``rate_buckets`` table of a PostgreSQL database."""

    def __init__(
        self,
        database_url: str,
        *,
        clock: Callable[[], float] = time.time,
        pool_size: int | None = None,
    ) -> None:
        if not is_postgresql(database_url):
            raise UsageError(
                "rate_store = database needs PostgreSQL: several server processes need "
                "PostgreSQL (SQLite serves one process, and its in-memory limits are enough)",
                hint="use rate_store = memory with SQLite, or --db postgresql://…",
            )
        # A take that finds every connection of a bounded pool busy gives up as one that
        # waits on the database does (`TAKE_TIMEOUT_MS`).
        pool = None
        if pool_size is not None:
            pool = {**pool_arguments(pool_size), "pool_timeout": TAKE_TIMEOUT_MS // 1000}
        self._base = serving_engine(database_url, statement_timeout_ms=TAKE_TIMEOUT_MS, pool=pool)
        self._engine = self._base.execution_options(isolation_level="AUTOCOMMIT")
        self._clock = clock
        self._swept = float("-inf")

    def take(self, key: str, *, rate: float, burst: float, cost: float = 1.0) -> float | None:
        """Spend ``cost`` from ``key``'s bucket: None when granted, else the seconds until it
        could be."""
        now = self._clock()
        if len(key) > MAX_KEY:
            key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
        params = {"key": key, "rate": rate, "burst": burst, "cost": cost, "now": now}
        # A deadline of its own (TAKE_TIMEOUT_MS + the margin, from now): a take inside a
        # request's database work (the per-principal limit, the login throttle) would
        # otherwise have what is left of the request's, from another engine's timeout.
        with database_work(), self._engine.connect() as connection:
            tokens, granted = connection.execute(TAKE_SQL, params).one()
            if now - self._swept >= SWEEP_EVERY:
                self._swept = now
                params = {"before": now - IDLE, "batch": SWEEP_BATCH}
                if connection.execute(SWEEP_SQL, params).rowcount >= SWEEP_BATCH:
                    self._swept = float("-inf")  # more are left
        return None if granted else (cost - float(tokens)) / rate

    @property
    def engine(self) -> Engine:
        """The buckets' own engine (its pool: the connections metric)."""
        return self._base

    def close(self) -> None:
        """Close the pool's connections."""
        self._base.dispose()
