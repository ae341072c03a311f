"""Rate limits: token buckets per client IP, per principal, and for logins per account.

In process memory by default (one server process). With ``rate_store = database`` the buckets
live in the server's PostgreSQL database (``store.rate_buckets``), so that several processes
share one budget. Over the limit: 429 with Retry-After.

A shared limiter whose database fails counts the request in this process's own buckets
instead (``LocalFallback`` says so): the limiter guards the API and must not take it down with its
store, nor switch off when its store does (its connections are a pool of their own, which a
flood may exhaust while the routes still answer: the login throttle would then stop guarding
passphrases exactly under attack). Each such failure is counted
(``envkeep_rate_limit_failures_total``) and a warning is logged at most once a minute.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import structlog
from sqlalchemy.exc import SQLAlchemyError

from envkeep.core.errors import RateLimited, UsageError
from envkeep.server_values import RATE_STORES

if TYPE_CHECKING:
    from envkeep.store.rate_buckets import SharedBuckets


class TooManyRequests(RateLimited):
    """A limiter's refusal; ``what`` names the limit, as its taker words it."""

    def __init__(self, retry_after: float, what: str = "too many requests") -> None:
        wait = math.ceil(retry_after)
        super().__init__(what, hint=f"retry in {wait} s", retry_after=wait)


@dataclass
class Bucket:
    tokens: float
    updated: float


@dataclass
class Limiter:
    """``rate`` requests per second with bursts up to ``burst``, per key."""

    rate: float
    burst: float
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, Bucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, key: str, cost: float = 1.0, *, what: str = "too many requests") -> None:
        """Spend ``cost`` from ``key``'s bucket, or raise TooManyRequests saying ``what``."""
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get(key) or Bucket(self.burst, now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            if bucket.tokens < cost:
                self._buckets[key] = bucket
                raise TooManyRequests((cost - bucket.tokens) / self.rate, what)
            bucket.tokens -= cost
            self._buckets[key] = bucket
            if len(self._buckets) > 100_000:  # forget idle keys rather than grow without bound
                self._buckets = {k: b for k, b in self._buckets.items() if now - b.updated < 600}


class LocalFallback:
    """A server's shared limiters falling back to this process's own buckets when their store
    fails (``SharedLimiter.fallback`` counts the request): each fallback counted, and a
    warning logged at most once per ``interval`` seconds (an outage fails every request: one
    line a minute says so, the metric says how often)."""

    def __init__(self, interval: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.count = 0
        self.interval = interval
        self._clock = clock
        self._warned = -math.inf
        self._lock = threading.Lock()

    def failed(self, limiter: str, error: Exception) -> None:
        """``limiter``'s store raised ``error``; the process's own buckets count the request."""
        now = self._clock()
        with self._lock:
            self.count += 1
            warn = now - self._warned >= self.interval
            if warn:
                self._warned = now
            count = self.count
        if warn:  # the error's class only: a driver's message may name hosts and users
            structlog.get_logger("envkeep.api").warning(
                "rate limit store failed; this process counts requests alone",
                limiter=limiter,
                error=type(error).__name__,
                failures=count,
            )


@dataclass
class SharedLimiter:
    """A ``Limiter`` whose buckets every server process shares (``name`` keeps the server's
    limiters apart in one table); when the database fails, this process's own buckets count
    the request (``fallback``), and the failure is told (``LocalFallback``)."""

    buckets: SharedBuckets
    name: str
    rate: float
    burst: float
    failures: LocalFallback = field(default_factory=LocalFallback)
    fallback: Limiter = field(init=False)

    def __post_init__(self) -> None:
        self.fallback = Limiter(rate=self.rate, burst=self.burst)

    def take(self, key: str, cost: float = 1.0, *, what: str = "too many requests") -> None:
        """Spend ``cost`` from ``key``'s bucket, or raise TooManyRequests saying ``what``."""
        try:
            wait = self.buckets.take(
                f"{self.name}:{key}", rate=self.rate, burst=self.burst, cost=cost
            )
        except SQLAlchemyError as error:
            self.failures.failed(self.name, error)
            self.fallback.take(key, cost, what=what)
            return
        if wait is not None:
            raise TooManyRequests(wait, what)


class Unlimited:
    """A limiter turned off (``rate`` 0): it takes every request without counting."""

    def take(self, key: str, cost: float = 1.0, *, what: str = "too many requests") -> None:
        """Nothing to spend: every request goes on."""


@dataclass
class Limits:
    """The server's limiters; ``rate`` 0 turns the per-IP and per-principal ones off (the
    login throttle always applies). With ``shared`` buckets, every limiter that is on uses
    them."""

    rate: float = 50.0
    shared: SharedBuckets | None = None
    failures: LocalFallback = field(default_factory=LocalFallback)
    per_ip: Limiter | SharedLimiter | Unlimited = field(init=False)
    per_principal: Limiter | SharedLimiter | Unlimited = field(init=False)
    logins: Limiter | SharedLimiter = field(init=False)

    def __post_init__(self) -> None:
        if self.rate <= 0:
            self.per_ip = self.per_principal = Unlimited()
        else:
            self.per_ip = self._limiter("ip", self.rate, self.rate * 4)
            self.per_principal = self._limiter("principal", self.rate, self.rate * 4)
        self.logins = self._limiter("login", 0.2, 5.0)

    def _limiter(self, name: str, rate: float, burst: float) -> Limiter | SharedLimiter:
        if self.shared is not None:
            return SharedLimiter(self.shared, name, rate, burst, self.failures)
        return Limiter(rate=rate, burst=burst)

    def close(self) -> None:
        """Release the shared buckets' connections, if any."""
        if self.shared is not None:
            self.shared.close()


def limits_for(
    database_url: str, *, rate: float, store: str, pool_size: int | None = None
) -> Limits:
    """The limits a server runs with: buckets in ``memory`` or in the ``database`` (shared by
    every process; PostgreSQL only), over at most ``pool_size`` connections of their own."""
    if store not in RATE_STORES:
        raise UsageError(f"unknown rate store '{store}'", hint="use memory or database")
    if store == "memory":
        return Limits(rate)
    from envkeep.store.rate_buckets import SharedBuckets

    return Limits(rate, SharedBuckets(database_url, pool_size=pool_size))
