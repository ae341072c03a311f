"""`audit export` writes a long trail a page at a time (a trail of a million events held whole
took gigabytes on the client): each page is rendered and written on its own, the CSV's header
once, and the result is the same text as rendering the whole trail at once."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest

from envkeep.cli.audit_cmds import _export_pages
from envkeep.client import audit
from envkeep.core.auditchain import AuditQuery, EventPage, EventView

if TYPE_CHECKING:
    from envkeep.client.context import ClientContext

TRAIL = [
    EventView("w", seq, "t", "admin-id", "secrets.read", "shop/dev", "ok", None, None, "{}", "", "")
    for seq in range(1, 6)
]


class _Pages:
    """A backend answering the audit route as a server does, ``after`` a seq, ``limit`` each."""

    def __init__(self) -> None:
        self.asked: list[AuditQuery] = []

    def audit_events(self, query: AuditQuery) -> EventPage:
        self.asked.append(query)
        after = [e for e in TRAIL if e.seq > (query.after or 0)]
        return EventPage(after[: query.limit], {"admin-id": "admin@x.io"})


def _ctx(backend: _Pages) -> ClientContext:
    ctx: Any = SimpleNamespace(backend=backend)
    return ctx  # type: ignore[no-any-return]


@pytest.mark.parametrize("fmt", audit.FORMATS)
def test_each_page_is_written_on_its_own_and_the_whole_is_the_same(
    monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    monkeypatch.setattr(audit, "PAGE", 2)
    backend, written = _Pages(), list[str]()

    _export_pages(audit.event_pages(_ctx(backend), AuditQuery(limit=0)), fmt, written.append)

    assert [q.after for q in backend.asked] == [0, 2, 4]
    assert len(written) == 3  # one write a page: never the trail at once
    assert "".join(written) == audit.render_events(TRAIL, fmt, {"admin-id": "admin@x.io"})


def test_a_limit_is_kept_across_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit, "PAGE", 2)

    pages = list(audit.event_pages(_ctx(_Pages()), replace(AuditQuery(), limit=3)))

    assert [[e.seq for e in page.events] for page in pages] == [[1, 2], [3]]


class _CappedServer(_Pages):
    """A server whose pages hold at most 2 events whatever is asked, saying (``more``, its
    ``next_after``) when there are more."""

    def audit_events(self, query: AuditQuery) -> EventPage:
        self.asked.append(query)
        after = [e for e in TRAIL if e.seq > (query.after or 0)]
        return EventPage(after[:2], {}, more=len(after) > 2)


def test_a_server_capping_its_pages_below_the_asked_size_is_paged_to_the_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a short page is not the last when the server says more follow: a cap under PAGE once
    # ended `verify` and `export` after the first page, in silence
    monkeypatch.setattr(audit, "PAGE", 4)
    backend = _CappedServer()

    pages = list(audit.event_pages(_ctx(backend), AuditQuery(limit=0)))

    assert [e.seq for page in pages for e in page.events] == [1, 2, 3, 4, 5]
    assert [q.after for q in backend.asked] == [0, 2, 4]
