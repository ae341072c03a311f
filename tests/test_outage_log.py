"""An outage of the server's database is logged when it begins, once a minute while it lasts,
and when it ends: not once per request it fails."""

from __future__ import annotations

from structlog.testing import capture_logs

from envkeep.api.outage_log import DatabaseOutage


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_outage_is_logged_when_it_begins_while_it_lasts_and_when_it_ends() -> None:
    clock = Clock()
    outage = DatabaseOutage(interval=60, clock=clock)
    with capture_logs() as logged:
        for second in range(0, 130, 10):  # a failed request every 10 s for 2 minutes
            clock.now = second
            outage.note("/v1/whoami", 503, "connection refused")
            outage.note("/healthz", 200, None)  # no database: says nothing of it
        clock.now = 135
        outage.note("/v1/whoami", 401, None)  # refused, as a 429 may be before the database
        outage.note("/readyz", 200, None)
        outage.note("/readyz", 200, None)
    assert [(line["event"], line["failed_requests"], line["seconds"]) for line in logged] == [
        ("database unavailable", 1, 0.0),
        ("database still unavailable", 7, 60.0),
        ("database still unavailable", 13, 120.0),
        ("database available again", 13, 135.0),
    ]
    assert logged[0]["database_error"] == "connection refused"


def test_a_second_outage_counts_its_own_failures() -> None:
    clock = Clock()
    outage = DatabaseOutage(clock=clock)
    with capture_logs() as logged:
        outage.note("/v1/whoami", 503, "database is locked")
        outage.note("/v1/whoami", 200, None)
        clock.now = 5
        outage.note("/v1/whoami", 503, "database or disk is full")
        outage.note("/v1/whoami", 503, "database or disk is full")
        clock.now = 7
        outage.note("/v1/whoami", 200, None)
    assert [(line["event"], line["failed_requests"]) for line in logged] == [
        ("database unavailable", 1),
        ("database available again", 1),
        ("database unavailable", 1),
        ("database available again", 2),
    ]
    assert logged[3]["seconds"] == 2.0
