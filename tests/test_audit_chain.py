"""The audit hash chain catches every edit, deletion, reordering and truncation."""

from __future__ import annotations

import random
from dataclasses import replace

from envkeep.core.auditchain import GENESIS, EventView, event_hash, hashed_fields, verify_chain

FIELDS = ("at", "principal_id", "action", "target", "outcome", "request_id", "ip", "details")


def chain(length: int, rng: random.Random) -> list[EventView]:
    events: list[EventView] = []
    prev = GENESIS
    for seq in range(1, length + 1):
        draft = EventView(
            "ws",
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


def test_the_first_broken_link_is_the_one_reported() -> None:
    events = chain(10, random.Random(2))
    forged = list(events)
    forged[4] = replace(forged[4], target="shop/prod")
    assert verify_chain(forged) == 5
    assert verify_chain(events[:3] + events[4:]) == 4
