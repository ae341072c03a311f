"""The audit hash chain catches every edit, deletion, reordering and truncation."""

from __future__ import annotations

import json
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
    verify_chain,
)
from envkeep.core.errors import UsageError
from tests.audit_0011 import HASHED, old_verify

if TYPE_CHECKING:
    from pathlib import Path

FIELDS = ("at", "principal_id", "action", "target", "outcome", "request_id", "ip", "details")
PROJECTS = [None, "shop-id", "billing-id"]


def chain(
    length: int, rng: random.Random, workspace: str = "ws", *, old: int = 0
) -> list[EventView]:
    """A chain of ``length`` events, as a server appends them: each names its project in its
    details (null for the workspace's own) and has it as its ``project_id``. The first ``old``
    of them were appended before projects were recorded: details without one, a
    ``project_id`` a migration derived."""
    events: list[EventView] = []
    prev = GENESIS
    for seq in range(1, length + 1):
        project = rng.choice(PROJECTS)
        details = "{}" if seq <= old else json.dumps({"project_id": project})
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
            details,
            prev,
            "",
            project,
        )
        event = replace(draft, hash=event_hash(prev, hashed_fields(draft)))
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


def test_one_canonical_form_the_one_an_older_cli_hashes() -> None:
    """An event's project is in its details, so what is hashed is what an envkeep from before
    migration 0012 hashes: its `audit verify` passes a trail of events in projects, and fails
    where the current one does on a tampered one."""
    events = chain(40, random.Random(5), old=10)
    assert {e.project_id for e in events[10:]} == {None, "shop-id", "billing-id"}
    assert all(json.loads(e.details) == {"project_id": e.project_id} for e in events[10:])

    assert all(tuple(hashed_fields(e)) == HASHED for e in events)
    assert old_verify(events) is None
    assert verify_chain(events) is None
    forged = [replace(e, target="shop/prod") if e.seq == 20 else e for e in events]
    assert old_verify(forged) == verify_chain(forged) == 20


def _naming_their_project(events: list[EventView]) -> list[EventView]:
    """The events whose details say which project they lie in (a workspace's own: null)."""
    return [e for e in events if e.details != "{}"]


def _in_a_project(events: list[EventView]) -> list[EventView]:
    return [e for e in _naming_their_project(events) if e.project_id is not None]


def test_an_events_project_moved_by_its_column_alone_breaks_the_chain_there() -> None:
    """The column a project admin's read filters on is not hashed, but the event's details
    name the same project (a workspace's own event: null), and are: a new event moved to
    another project, out of any or into one by its column is reported (by this envkeep; an
    older one does not know the column)."""
    rng = random.Random(20261202)
    for _ in range(300):
        events = chain(rng.randrange(2, 40), rng, old=rng.randrange(3))
        moved = rng.choice(_naming_their_project(events) or [None])
        if moved is None:
            continue
        elsewhere = rng.choice([p for p in [*PROJECTS, "forged-id"] if p != moved.project_id])
        tampered = [replace(e, project_id=elsewhere) if e is moved else e for e in events]

        assert verify_chain(tampered) == moved.seq
        assert old_verify(tampered) is None  # it hashes what it always did


def test_an_events_project_moved_in_its_details_breaks_the_hash() -> None:
    """Renaming the project in the details (and the column with it) changes what is hashed:
    caught by any envkeep, an older one included."""
    events = chain(30, random.Random(7))
    moved = _in_a_project(events)[3]
    details = f'{{"project_id": "forged-{moved.project_id}"}}'
    tampered = [
        replace(e, details=details, project_id=f"forged-{e.project_id}") if e is moved else e
        for e in events
    ]

    assert verify_chain(tampered) == old_verify(tampered) == moved.seq


def test_a_workspace_event_put_into_a_project_by_its_column_breaks_the_chain_there() -> None:
    """A workspace's own event says so in its details (a null project, hashed): its column set
    to a project, which would show it on that project's trail, is reported."""
    events = chain(30, random.Random(11))
    own = [e for e in _naming_their_project(events) if e.project_id is None]
    for event in own:
        moved = [replace(e, project_id="shop-id") if e is event else e for e in events]
        assert verify_chain(moved) == event.seq
    assert own


def test_a_project_no_details_name_is_covered_by_no_hash() -> None:
    """What the chain cannot tell (docs/design.md): the project of an event whose details do
    not say, one appended before migration 0012 (its project derived from its target) or a
    workspace event appended before workspace events said null."""
    events = chain(12, random.Random(9), old=12)
    moved = [replace(e, project_id="elsewhere") for e in events]

    assert verify_chain(moved) is None


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
    assert time_bound("90m ago", now=now) == time_bound("90m", now=now)  # as the help says it
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


def test_a_rollback_to_a_time_in_the_future_is_refused() -> None:
    from envkeep.client.scope_rollback import parse_moment

    now = datetime(2026, 12, 4, 12, 0, 30, 500000, tzinfo=UTC)

    assert parse_moment("1m ago", now=now) == datetime(2026, 12, 4, 11, 59, 30, tzinfo=UTC)
    assert parse_moment("2026-12-04T12:00:30", now=now) == now.replace(microsecond=0)
    with pytest.raises(UsageError, match="2099-01-01T00:00:00Z, in the future") as refused:
        parse_moment("2099-01-01", now=now)
    assert "nothing was written" in refused.value.message
