"""`envkeep audit --json` writes each event's time as the store keeps it, to the microsecond in
UTC (`2026-12-06T16:55:10.812785Z`), on both backends: to the second, `--until` an event's
time passed over the events before it in the same second. The table keeps the second."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .conftest import quick_ok

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

EXACT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def _exact(stored: str) -> str:
    """The store's time (``+00:00``, or SQLite's naive UTC text) to the microsecond with a Z."""
    moment = datetime.fromisoformat(stored)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _json(envkeep: Envkeep, *args: str) -> list[dict[str, object]]:
    found: list[dict[str, object]] = json.loads(quick_ok(envkeep, "audit", *args).stdout)
    return found


def test_audit_json_times_are_the_stored_ones_and_until_one_keeps_the_events_before_it(
    envkeep: Envkeep, seeded: Path
) -> None:
    stored = {
        e["seq"]: e["at"]
        for e in map(json.loads, quick_ok(envkeep, "audit", "export").stdout.splitlines())
    }
    events = _json(envkeep, "--json", "--limit", "0")

    assert len(events) == len(stored) > 2
    for event in events:
        assert EXACT.fullmatch(str(event["at"])), event["at"]
        assert event["at"] == _exact(str(stored[event["seq"]]))
    last = events[-1]
    before = _json(envkeep, "--json", "--limit", "0", "--until", str(last["at"]))
    assert [e["seq"] for e in before] == [e["seq"] for e in events[:-1]]
    since = _json(envkeep, "--json", "--limit", "0", "--since", str(last["at"]))
    assert [e["seq"] for e in since] == [last["seq"]]
    table = quick_ok(envkeep, "audit", "--limit", "1").stdout
    assert f"{str(last['at'])[:19]}Z" in table  # the table: to the second, as before
    assert ".".join(str(last["at"]).split(".")[1:]) not in table
