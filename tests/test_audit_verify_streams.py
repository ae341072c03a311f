"""`audit verify` streams the trail through page by page: 200,000 events held at once took
320 MB of the client's memory. What it says of a trail (intact, broken, rolled back, pinned)
is tests/test_app.py's and tests/cli's; here, how much of it is held."""

from __future__ import annotations

import weakref
from dataclasses import replace
from types import SimpleNamespace
from typing import TYPE_CHECKING

from envkeep.client import audit
from envkeep.core.auditchain import GENESIS, AuditQuery, EventPage, EventView, event_hash

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

WORKSPACE = "ws-1"


def _chain(length: int) -> list[EventView]:
    events, prev = [], GENESIS
    for seq in range(1, length + 1):
        unhashed = EventView(
            WORKSPACE, seq, f"2026-01-01T00:00:{seq % 60:02d}+00:00", "p", "secrets.read",
            "shop/dev", "ok", None, None, '{"project_id":null}', prev, "",
        )  # fmt: skip
        fields = {k: getattr(unhashed, k) for k in _HASHED}
        prev = event_hash(prev, fields)
        events.append(replace(unhashed, hash=prev))
    return events


_HASHED = (
    "workspace_id", "seq", "at", "principal_id", "action", "target", "outcome", "request_id",
    "ip", "details",
)  # fmt: skip


class _Backend:
    """A server's pages of ``trail``, noting at each request how many of the events it handed
    out before are still alive in the client."""

    def __init__(self, trail: list[EventView]) -> None:
        self.trail = trail
        self.handed: list[weakref.ref[EventView]] = []
        self.alive_at_each_request: list[int] = []

    def audit_events(self, query: AuditQuery) -> EventPage:
        # no collection: events hold no cycles, so the last reference's going frees one (a
        # gc.collect a request took seconds in a worker that had run hundreds of tests)
        self.alive_at_each_request.append(sum(1 for ref in self.handed if ref() is not None))
        page = [replace(e) for e in self.trail if e.seq > query.after][: query.limit]
        self.handed += [weakref.ref(e) for e in page]
        return EventPage(page, {})


def test_verifying_a_long_trail_holds_about_one_page_of_it_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit, "PAGE", 10)
    backend = _Backend(_chain(200))
    ctx = SimpleNamespace(
        backend=backend,
        workspace_id=WORKSPACE,
        server_url="http://keep.example",
        settings=SimpleNamespace(home=tmp_path),
    )

    found = audit.verify(ctx)  # type: ignore[arg-type]

    assert (found.events, found.broken_at, found.head) == (200, None, backend.trail[-1].hash)
    assert len(backend.alive_at_each_request) == 21  # 20 full pages, then an empty one
    assert max(backend.alive_at_each_request) <= 10  # the page before, at most
    again = audit.verify(ctx)  # type: ignore[arg-type]
    assert (again.broken_at, again.pinned) == (None, True)
