"""The audit hash chain catches every edit, deletion, reordering and truncation."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envkeep.app.principal_labels import shown_name
from envkeep.client.audit import time_bound, verify
from envkeep.core.auditchain import (
    GENESIS,
    EventPage,
    EventView,
    event_hash,
    event_time_bound,
    hashed_fields,
    legacy_fields,
    verify_chain,
)
from envkeep.core.errors import UsageError

if TYPE_CHECKING:
    from pathlib import Path

FIELDS = (
    "at",
    "principal_id",
    "action",
    "target",
    "outcome",
    "request_id",
    "ip",
    "details",
    "project_id",
)


def chain(
    length: int, rng: random.Random, workspace: str = "ws", *, legacy: int = 0
) -> list[EventView]:
    """A chain of ``length`` events; the first ``legacy`` of them hashed as before migration
    0012 (without their project), then given one, as the migration fills it in."""
    events: list[EventView] = []
    prev = GENESIS
    for seq in range(1, length + 1):
        draft = EventView(
            workspace,
            seq,
            f"2026-11-23T08:{seq % 60:02d}:00+00:00",
            f"p{rng.randrange(3)}",
            rng.choice(["secrets.write", "secrets.read", "environment.create"]),
            f"shop/env{rng.randrange(3)}",
            "ok",
            f"r{seq}",
            "127.0.0.1",
            "{}",
            prev,
            "",
            rng.choice([None, "shop-id", "billing-id"]),
        )
        fields = legacy_fields(draft) if seq <= legacy else hashed_fields(draft)
        event = replace(draft, hash=event_hash(prev, fields))
        events.append(event)
        prev = event.hash
    return events


def tamper(events: list[EventView], rng: random.Random) -> tuple[list[EventView], str]:
    """One random change an attacker with write access to the table could make."""
    changed = list(events)
    kind = rng.choice(["edit", "edit-rehash", "delete", "swap", "truncate", "insert"])
    i = rng.randrange(len(changed))
    if kind in {"edit", "edit-rehash"}:
        field = rng.choice(FIELDS)
        forged: dict[str, object] = {field: f"forged-{rng.random()}"}
        edited = replace(changed[i], **forged)  # type: ignore[arg-type]
        if kind == "edit-rehash":  # recompute this event's own hash; its successor still disagrees
            edited = replace(edited, hash=event_hash(edited.prev_hash, hashed_fields(edited)))
            if i == len(changed) - 1:
                return [*changed[:-1], edited], "truncate-like"  # only the pinned head can tell
        changed[i] = edited
    elif kind == "delete":
        del changed[i]
    elif kind == "swap":
        j = rng.randrange(len(changed))
        if i == j:
            j = (i + 1) % len(changed)
        changed[i], changed[j] = changed[j], changed[i]
    elif kind == "truncate":
        del changed[rng.randrange(len(changed)) :]
    else:
        changed.insert(i, replace(changed[i], request_id="injected"))
    return changed, kind


def test_an_untouched_chain_verifies() -> None:
    events = chain(50, random.Random(1))
    assert verify_chain(events) is None
    assert verify_chain(events, expected_head=events[-1].hash) is None


def test_a_thousand_random_tamperings_are_all_caught() -> None:
    rng = random.Random(20261123)
    caught = 0
    for _ in range(1000):
        events = chain(rng.randrange(2, 40), rng)
        tampered, _kind = tamper(events, rng)
        assert tampered != events
        if verify_chain(tampered, expected_head=events[-1].hash) is not None:
            caught += 1
    assert caught == 1000


def test_a_trail_from_before_projects_were_hashed_verifies_and_catches_tampering() -> None:
    """Events hashed before migration 0012 verify with the project it filled in; after them,
    events hashed with theirs; every tampering but one is caught as before: an old event's
    project, which its hash never covered (the migration's finding, not the chain's)."""
    rng = random.Random(20261202)
    caught = 0
    for _ in range(1000):
        length = rng.randrange(2, 40)
        legacy = rng.randrange(length + 1)
        events = chain(length, rng, legacy=legacy)
        assert verify_chain(events) is None
        tampered, _kind = tamper(events, rng)
        if tampered == events:
            continue
        unhashed = [
            i
            for i, (a, b) in enumerate(zip(events, tampered, strict=False))
            if a != b and i < legacy and replace(b, project_id=a.project_id) == a
        ]
        if len(tampered) == len(events) and unhashed:
            assert verify_chain(tampered, expected_head=events[-1].hash) is None
            continue
        if verify_chain(tampered, expected_head=events[-1].hash) is not None:
            caught += 1
        else:
            raise AssertionError(f"not caught: {_kind}")
    assert caught > 900


def test_an_events_project_is_hashed_so_moving_it_breaks_the_chain() -> None:
    events = chain(6, random.Random(3))
    moved = [replace(e, project_id="elsewhere") if e.seq == 4 else e for e in events]
    assert verify_chain(moved) == 4
    old = chain(6, random.Random(3), legacy=6)
    assert verify_chain([replace(e, project_id="elsewhere") for e in old]) is None


def test_the_first_broken_link_is_the_one_reported() -> None:
    events = chain(10, random.Random(2))
    forged = list(events)
    forged[4] = replace(forged[4], target="shop/prod")
    assert verify_chain(forged) == 5
    assert verify_chain(events[:3] + events[4:]) == 4


EARLIEST, LATEST = datetime(2000, 1, 1), datetime(2100, 1, 1)


@given(
    st.datetimes(EARLIEST, LATEST, timezones=st.just(UTC)),
    st.datetimes(EARLIEST, LATEST),
    st.integers(min_value=-14 * 60, max_value=14 * 60),
)
def test_a_time_bound_compares_with_event_times_as_the_times_compare(
    event: datetime, bound: datetime, offset_minutes: int
) -> None:
    # Events' `at` is a UTC isoformat (microseconds only when there are some); a bound may be
    # written in any offset. Comparing the strings must compare the instants.
    written = bound.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    normalised = event_time_bound(written.isoformat())

    assert (event.isoformat() >= normalised) == (event >= written)
    assert (event.isoformat() < normalised) == (event < written)


def test_a_time_bound_without_an_offset_is_utc_and_a_date_is_its_midnight() -> None:
    assert event_time_bound("2026-11-01") == "2026-11-01T00:00:00+00:00"
    assert event_time_bound("2026-11-01T09:30") == "2026-11-01T09:30:00+00:00"
    assert event_time_bound("2026-11-01T09:30Z") == "2026-11-01T09:30:00+00:00"


def test_the_cli_takes_an_age_as_that_long_ago_and_refuses_a_word() -> None:
    now = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)

    assert time_bound("90m", now=now) == "2026-12-04T10:30:00+00:00"
    assert time_bound("7d", now=now) == "2026-11-27T12:00:00+00:00"
    assert time_bound("2026-12-01", now=now) == "2026-12-01T00:00:00+00:00"
    with pytest.raises(UsageError, match="yesterday"):
        time_bound("yesterday", now=now)


def test_a_token_is_shown_by_its_name_and_an_earlier_holder_of_it_says_why_it_is_not() -> None:
    assert shown_name("bob@example.com", "user") == "bob@example.com"
    assert shown_name("sa:ws-1:ci", "service") == "token ci"
    assert shown_name("sa-rotated:ws-1:ci:7f3e", "service") == "token ci (rotated out)"
    assert shown_name("sa-revoked:ws-1:ci:7f3e", "service") == "token ci (revoked)"
    # Retired before envkeep told the two apart: either may have happened.
    assert shown_name("sa-replaced:ws-1:ci:7f3e", "service") == "token ci (rotated out or revoked)"
    assert shown_name("sa-other:ws-1:ci:7f3e", "service") == "sa-other:ws-1:ci:7f3e"


class _Server:
    """What `audit.verify` asks of a client context: a trail the test sets, answered as a
    server would (one page), for workspace ``ws`` on one URL."""

    def __init__(self, home: Path) -> None:
        self.trail: list[EventView] = []
        self.workspace_id = "ws"
        self.server_url = "https://keep.example.com"
        self.settings = SimpleNamespace(home=home)
        self.backend = self

    def audit_events(self, _query: object) -> EventPage:
        return EventPage(list(self.trail), {})


def test_a_head_seen_before_is_missed_by_no_empty_or_foreign_trail(tmp_path: Path) -> None:
    """The pin is the workspace's this machine audits: a server that sends the trail back
    empty, or rewritten under another workspace's id, is caught as a rollback is."""
    server = _Server(tmp_path)
    ctx: Any = server
    server.trail = chain(5, random.Random(7))
    assert verify(ctx).broken_at is None  # pins event 5

    server.trail = []
    emptied = verify(ctx)
    server.trail = chain(6, random.Random(8), workspace="other")  # a chain that holds
    foreign = verify(ctx)
    server.trail = chain(3, random.Random(7))  # cut short, as a restore does
    wrong = verify(ctx, forget_head=4)
    forgot = verify(ctx, forget_head=5)

    assert emptied.broken_at == 1
    assert emptied.rolled_back is not None
    assert emptied.rolled_back.seq == 5
    assert foreign.broken_at == 1
    assert foreign.reason == "an event of another workspace is in this one's trail"
    assert wrong.broken_at == 4  # a number that is not the head seen here forgets nothing
    assert forgot.broken_at is None
    assert forgot.forgotten is not None
    assert forgot.forgotten.seq == 5
    assert verify(ctx).pinned  # event 3 is the head from now on
