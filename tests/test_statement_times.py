"""The database-time histogram reads as prometheus_client's own Histogram would, given the same
statements."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Histogram, generate_latest

from envkeep.api.metrics import Metrics, StatementTimes

times = st.lists(st.floats(min_value=0, max_value=20, allow_nan=False), max_size=30)


def _samples(registry: CollectorRegistry) -> list[str]:
    lines = generate_latest(registry).decode().splitlines()
    return [line for line in lines if line.startswith("envkeep_database_seconds")]


@given(times)
def test_it_exposes_what_a_prometheus_histogram_exposes(seconds: list[float]) -> None:
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    kept = StatementTimes(ours)
    reference = Histogram(StatementTimes.NAME, "Time in database statements", registry=theirs)
    for value in seconds:
        kept.observe(value)
        reference.observe(value)
    expected = [line for line in _samples(theirs) if "_created" not in line]
    assert _samples(ours) == expected


def test_statements_that_append_audit_events_are_counted() -> None:
    metrics = Metrics()
    for sql in ("SELECT 1", "  insert into audit_events (seq) VALUES (1)", "SELECT 1"):
        metrics.statement(sql, 0.001)
    text = generate_latest(metrics.registry).decode()
    assert "envkeep_audit_events_total 1.0" in text
    assert "envkeep_database_seconds_count 3.0" in text
