"""Rate limits: token buckets per client IP, per principal, and for logins per account.

In-process (one server process); a deployment running several processes puts a shared limiter
in front or passes a shared store (see docs/design.md). Over the limit: 429 with Retry-After.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from envkeep.core.errors import AccessError


class TooManyRequests(AccessError):
    code = "rate_limited"
    status = 429

    def __init__(self, retry_after: float) -> None:
        super().__init__("too many requests", hint=f"retry in {math.ceil(retry_after)} s")
        self.retry_after = math.ceil(retry_after)


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

    def take(self, key: str, cost: float = 1.0) -> None:
        """Spend ``cost`` from ``key``'s bucket, or raise TooManyRequests."""
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get(key) or Bucket(self.burst, now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            if bucket.tokens < cost:
                self._buckets[key] = bucket
                raise TooManyRequests((cost - bucket.tokens) / self.rate)
            bucket.tokens -= cost
            self._buckets[key] = bucket
            if len(self._buckets) > 100_000:  # forget idle keys rather than grow without bound
                self._buckets = {k: b for k, b in self._buckets.items() if now - b.updated < 600}


@dataclass
class Limits:
    """The server's limiters; ``rate`` 0 turns the per-IP and per-principal ones off (the
    login throttle always applies)."""

    rate: float = 50.0
    per_ip: Limiter = field(init=False)
    per_principal: Limiter = field(init=False)
    logins: Limiter = field(default_factory=lambda: Limiter(rate=0.2, burst=5.0))

    def __post_init__(self) -> None:
        off = self.rate <= 0
        rate, burst = (1e9, 1e12) if off else (self.rate, self.rate * 4)
        self.per_ip = Limiter(rate=rate, burst=burst)
        self.per_principal = Limiter(rate=rate, burst=burst)
