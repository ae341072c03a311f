"""Rate limits shared by several server processes (rate_store = database) on the real
PostgreSQL server of the test session: one budget across app instances, atomic takes under
concurrency, refill from wall-clock time, 429 + Retry-After; refused on SQLite."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, cast

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from structlog.testing import capture_logs

from envkeep.api.app import create_app
from envkeep.api.ratelimit import (
    Limits,
    LocalFallback,
    SharedLimiter,
    TooManyRequests,
    Unlimited,
)
from envkeep.core.errors import UsageError
from envkeep.store import rate_buckets
from envkeep.store.answer_deadline import MARGIN_S, database_work
from envkeep.store.engine import open_engine, sqlite_url
from envkeep.store.rate_buckets import SharedBuckets

if TYPE_CHECKING:
    from pathlib import Path


class Clock:
    """Wall-clock seconds that a test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def _statuses(client: TestClient, n: int) -> list[int]:
    return [client.get("/openapi.json").status_code for _ in range(n)]  # no database work


def test_two_app_instances_share_one_budget_and_answer_429_with_retry_after(pg_url: str) -> None:
    # rate 0.25/s: a burst of 1 request per IP, the next one 4 s later.
    first, second = (create_app(pg_url, rate=0.25, rate_store="database") for _ in range(2))
    with TestClient(first) as one, TestClient(second) as two:
        assert _statuses(one, 1) == [200]
        refused = two.get("/openapi.json")  # another process: the same bucket, already spent
        assert _statuses(one, 1) == [429]
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.json()["code"] == "rate_limited"


def test_in_memory_buckets_are_per_process(pg_url: str) -> None:
    """What the shared store fixes: each instance has its own budget."""
    first, second = (create_app(pg_url, rate=0.25) for _ in range(2))
    with TestClient(first) as one, TestClient(second) as two:
        assert (_statuses(one, 1), _statuses(two, 1)) == ([200], [200])


def test_concurrent_takes_from_two_stores_spend_the_budget_exactly_once(pg_url: str) -> None:
    clock = Clock()  # frozen: nothing refills
    stores = [SharedBuckets(pg_url, clock=clock) for _ in range(2)]
    try:

        def take(i: int) -> bool:
            return stores[i % 2].take("ip:10.0.0.1", rate=1.0, burst=50.0) is None

        with ThreadPoolExecutor(max_workers=8) as pool:
            granted = sum(pool.map(take, range(200)))
    finally:
        for store in stores:
            store.close()
    assert granted == 50


def test_a_shared_bucket_refills_from_wall_clock_seconds(pg_url: str) -> None:
    clock = Clock()
    one, two = SharedBuckets(pg_url, clock=clock), SharedBuckets(pg_url, clock=clock)
    try:
        assert [one.take("k", rate=2.0, burst=4.0) for _ in range(4)] == [None] * 4
        assert two.take("k", rate=2.0, burst=4.0) == pytest.approx(0.5)  # 1 token at 2/s
        clock.now += 1.0  # two tokens back
        assert [two.take("k", rate=2.0, burst=4.0) for _ in range(2)] == [None, None]
        assert one.take("k", rate=2.0, burst=4.0) == pytest.approx(0.5)
        clock.now += 3600.0  # never more than the burst
        assert sum(one.take("k", rate=2.0, burst=4.0) is None for _ in range(6)) == 4
        clock.now -= 10.0  # a process whose clock lags refills nothing, and breaks nothing
        assert two.take("k", rate=2.0, burst=4.0) == pytest.approx(0.5)
        assert one.take("other", rate=2.0, burst=4.0) is None  # buckets are per key
    finally:
        one.close()
        two.close()


def test_idle_buckets_are_swept(pg_url: str) -> None:
    clock = Clock()
    store = SharedBuckets(pg_url, clock=clock)
    engine = open_engine(pg_url)
    try:
        store.take("idle", rate=1.0, burst=4.0)
        clock.now += 7200.0
        store.take("busy", rate=1.0, burst=4.0)
        with engine.connect() as connection:
            keys = connection.execute(text("SELECT key FROM rate_buckets")).scalars().all()
    finally:
        store.close()
        engine.dispose()
    assert keys == ["busy"]


def test_a_table_grown_large_is_swept_a_batch_at_a_time_within_the_takes_bound(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sweep of all of a large table's idle rows took longer than the take's bound: it was
    cancelled at every sweep, and the table never shrank again."""
    monkeypatch.setattr(rate_buckets, "TAKE_TIMEOUT_MS", 100)
    monkeypatch.setattr(rate_buckets, "SWEEP_BATCH", 5_000)
    clock = Clock()
    engine = open_engine(pg_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO rate_buckets SELECT 'ip:' || n, 1, :idle, true"
                " FROM generate_series(1, 500000) AS n"
            ),
            {"idle": clock.now - 2 * rate_buckets.IDLE},
        )
    store = SharedBuckets(pg_url, clock=clock)
    try:
        for _ in range(500_000 // 5_000 + 1):
            assert store.take("busy", rate=1000.0, burst=1000.0) is None
        with engine.connect() as connection:
            left = connection.execute(text("SELECT count(*) FROM rate_buckets")).scalar()
    finally:
        store.close()
        engine.dispose()
    assert left == 1


def test_logins_are_throttled_across_processes(pg_url: str) -> None:
    clock = Clock()
    first, second = (Limits(1.0, SharedBuckets(pg_url, clock=clock)) for _ in range(2))
    try:
        for limits in (first, second, first, second, first):  # the burst of 5, split
            limits.logins.take("account:ops@x.io")
        with pytest.raises(TooManyRequests) as refused:
            second.logins.take("account:ops@x.io")
        assert refused.value.retry_after == 5  # one attempt per 5 s
    finally:
        first.close()
        second.close()


def test_the_shared_store_is_refused_on_sqlite(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="several server processes need PostgreSQL"):
        create_app(sqlite_url(tmp_path / "one.db"), rate_store="database")


def test_an_unknown_rate_store_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown rate store 'redis'"):
        create_app(sqlite_url(tmp_path / "one.db"), rate_store="redis")


class Outage:
    """Shared buckets whose database does not answer."""

    def take(self, key: str, *, rate: float, burst: float, cost: float = 1.0) -> float | None:
        raise OperationalError("SELECT 1", {}, ConnectionError("connection refused"))


def test_a_failing_store_counts_requests_in_this_process_tells_each_and_warns_once_a_minute() -> (
    None
):
    clock = Clock()
    failures = LocalFallback(interval=60.0, clock=clock)
    limiter = SharedLimiter(cast("SharedBuckets", Outage()), "ip", 1.0, 5.0, failures)
    limiter.fallback.clock = clock
    with capture_logs() as logged:
        for _ in range(5):
            limiter.take("10.0.0.1")  # within the burst: the process's own bucket allows it
        with pytest.raises(TooManyRequests):  # the limit still holds without its store
            limiter.take("10.0.0.1")
        limiter.take("10.0.0.2")  # another address has a bucket of its own
        clock.now += 61.0
        limiter.take("10.0.0.1")
    assert failures.count == 8
    assert [(e["log_level"], e["limiter"], e["failures"]) for e in logged] == [
        ("warning", "ip", 1),
        ("warning", "ip", 8),
    ]
    assert all(e["error"] == "OperationalError" for e in logged)  # not the driver's message


def test_rate_zero_turns_the_request_limits_off_but_not_the_login_throttle() -> None:
    limits = Limits(0)
    for _ in range(10_000):  # far past any burst: nothing is counted
        limits.per_ip.take("127.0.0.1")
        limits.per_principal.take("someone")
    assert isinstance(limits.per_ip, Unlimited)
    assert isinstance(limits.per_principal, Unlimited)
    for _ in range(5):  # the login throttle's burst
        limits.logins.take("admin@example.com")
    with pytest.raises(TooManyRequests):  # logins are throttled whatever the rate
        limits.logins.take("admin@example.com")


def test_a_take_late_in_a_requests_database_work_has_a_deadline_of_its_own(pg_url: str) -> None:
    """The request's work started 3 s ago (its own engine's deadline is 12 s): a take, on an
    engine whose deadline is 3 s, failed at once on a database that answers, and the request
    was counted in this process's buckets only."""
    buckets = SharedBuckets(pg_url)
    try:
        with database_work():
            time.sleep(rate_buckets.TAKE_TIMEOUT_MS / 1000 + MARGIN_S + 0.1)
            assert buckets.take("late", rate=1, burst=5) is None
    finally:
        buckets.close()
