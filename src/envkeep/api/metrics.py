"""The server's Prometheus metrics, in a registry of their own: request latency and errors,
requests in flight, audit events written, statement times, the shared rate store's failures
(and, registered here, the process's own and the build's)."""

from __future__ import annotations

import math
import threading
import time
from bisect import bisect_left
from itertools import accumulate
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
from sqlalchemy import Engine, event

from envkeep.api.process_metrics import process_and_build

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from envkeep.api.ratelimit import LocalFallback


class Metrics:
    """The server's Prometheus metrics, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "envkeep_request_seconds",
            "Request latency",
            ["route", "method"],
            registry=self.registry,
        )
        self.errors = Counter(
            "envkeep_request_errors_total",
            "Responses with status >= 400",
            ["route", "status"],
            registry=self.registry,
        )
        self.active = Gauge("envkeep_requests_active", "Requests in flight", registry=self.registry)
        self.audit_events = Counter(
            "envkeep_audit_events_total", "Audit events written", registry=self.registry
        )
        self.database = StatementTimes(self.registry)
        process_and_build(self.registry)
        self.local_fallback: LocalFallback | None = None  # the shared rate limits' failures, if any
        self.registry.register(_RateLimitFailures(self))
        self._audit_sql: dict[str, bool] = {}  # whether a statement appends an audit event

    def watch(self, engine: Engine) -> None:
        """Time every statement on ``engine``; count audit events as they are inserted."""

        def before(
            _conn: Any, _cursor: Any, _sql: str, _params: Any, context: Any, _many: bool
        ) -> None:
            context._envkeep_started = time.perf_counter()

        def after(
            _conn: Any, _cursor: Any, sql: str, _params: Any, context: Any, _many: bool
        ) -> None:
            started = getattr(context, "_envkeep_started", None)
            if started is not None:
                self.statement(sql, time.perf_counter() - started)

        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)

    def statement(self, sql: str, seconds: float) -> None:
        """Record one statement that took ``seconds`` (and count it if it appends an event)."""
        self.statements([(sql, seconds)])

    def statements(self, timed: Sequence[tuple[str, float]]) -> None:
        """Record statements that ran, each (its text, its seconds); count those that append
        an audit event. A request's dozen statements take the histogram's lock once."""
        self.database.observe_all([seconds for _sql, seconds in timed])
        appended = sum(1 for sql, _seconds in timed if self._appends(sql))
        if appended:
            self.audit_events.inc(appended)

    def _appends(self, sql: str) -> bool:
        appends = self._audit_sql.get(sql)
        if appends is None:
            appends = sql.lstrip()[:24].upper() == "INSERT INTO AUDIT_EVENTS"
            if len(self._audit_sql) < 4096:  # the app's statements are a few dozen texts
                self._audit_sql[sql] = appends
        return appends


class _RateLimitFailures:
    """``envkeep_rate_limit_failures_total``: checks of a failing shared rate-limit store,
    each then counted in the process's own buckets (``ratelimit.LocalFallback``)."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[CounterMetricFamily]:
        found = self._metrics.local_fallback
        yield CounterMetricFamily(
            "envkeep_rate_limit_failures",
            "Shared rate-limit checks that failed (the process's own buckets counted them)",
            value=found.count if found is not None else 0,
        )


def _le(bound: float) -> str:
    """A bucket's bound as Prometheus writes it (``0.005``, ``1.0``, ``+Inf``)."""
    return "+Inf" if bound == math.inf else repr(bound)


class StatementTimes:
    """``envkeep_database_seconds``: a histogram of statement times, with the buckets of
    Prometheus's default histogram. A read runs ten statements and ``Histogram.observe`` takes
    two locks for each (a twelfth of a read's own work in the server); this takes one."""

    NAME = "envkeep_database_seconds"

    def __init__(self, registry: CollectorRegistry) -> None:
        self._bounds = tuple(float(b) for b in Histogram.DEFAULT_BUCKETS)  # the last is +Inf
        self._counts = [0] * len(self._bounds)
        self._sum = 0.0
        self._lock = threading.Lock()
        registry.register(self)

    def observe(self, seconds: float) -> None:
        """One statement's time, in its bucket (the first whose bound is not below it)."""
        self.observe_all([seconds])

    def observe_all(self, times: Sequence[float]) -> None:
        """Statements' times, each in its bucket, under one lock."""
        places = [bisect_left(self._bounds, seconds) for seconds in times]
        with self._lock:
            for place in places:
                self._counts[place] += 1
            self._sum += sum(times)

    def collect(self) -> Iterator[HistogramMetricFamily]:
        with self._lock:
            counts, total = list(accumulate(self._counts)), self._sum
        yield HistogramMetricFamily(
            self.NAME,
            "Time in database statements",
            buckets=[(_le(b), c) for b, c in zip(self._bounds, counts, strict=True)],
            sum_value=total,
        )
