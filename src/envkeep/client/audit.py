"""Reading, exporting and verifying a workspace's audit trail, client side.

Verification recomputes the hash chain here, so a server cannot vouch for itself; the newest
head seen is pinned in ENVKEEP_HOME/audit-heads.json, so a later truncation or rewrite of
events already seen is caught too.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from envkeep.core.auditchain import (
    INVITE_ACTIONS,
    AuditQuery,
    EventPage,
    EventView,
    event_time_bound,
    project_contradicted,
    replaced_id,
    subject_id,
    verify_chain,
    via_command,
)
from envkeep.core.errors import IntegrityError, NotAnEnvkeepRoute, UsageError
from envkeep.core.files import write_atomic

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

    from envkeep.client.context import ClientContext

PAGE = 1000
FORMATS = ("jsonl", "csv")


_AGE = re.compile(r"\d+(?:\.\d+)?[smhd]")


def time_bound(text: str, *, now: datetime | None = None) -> str:
    """``--since``/``--until``: an age (``90m``, ``24h``, ``7d``: that long before ``now``) or
    an ISO date or time (UTC unless it names an offset), as the events' times are written."""
    from envkeep.client.offline_limit import parse_age

    age = text.strip().removesuffix(" ago").strip()  # "15m ago" reads as "15m"
    if _AGE.fullmatch(age):
        moment = (now or datetime.now(UTC)) - timedelta(seconds=parse_age(age))
        return moment.isoformat()
    try:
        return event_time_bound(text)
    except ValueError:
        raise UsageError(
            f"{text!r} is neither a time nor an age",
            hint="e.g. 2026-11-01, 2026-11-01T09:30 (UTC), or an age: 90m, 24h, 7d",
        ) from None


def refuse_unfiltered(events: list[EventView]) -> None:
    """Refuse the answer to ``audit --subject`` of a server that ignored the filter (one older
    than it): every event a filtering server returns is about someone (`subject_id`, or an
    invite's email), so one that is not gives it away. Filtering here instead would show the
    newest page's few matches as if they were all."""
    if any(subject_id(e) is None and e.action not in INVITE_ACTIONS for e in events):
        raise UsageError(
            "this server does not filter the audit by subject (it is older than this envkeep)",
            hint="upgrade the server, or filter envkeep audit --json --limit 0 on its subject"
            " field",
        )


def query_pages(ctx: ClientContext, query: AuditQuery) -> Iterator[EventPage]:
    """The events matching ``query``, oldest first, a page at a time, each with who the
    principals on it are and the project the server limited them to (a project admin's read):
    `audit` prints each as it comes, so that ``--limit 0`` of a long trail is never held whole
    (203,000 events held at once took 470 MB). With ``query.newest``, the last ``query.limit``
    of them (one page: at most 5,000). At least one page, empty when nothing matches."""
    if query.newest and query.limit:
        yield _limited_as_asked(query, ctx.backend.audit_events(query))
        return
    yield from event_pages(ctx, query)


def event_pages(ctx: ClientContext, query: AuditQuery) -> Iterator[EventPage]:
    """The events matching ``query`` (oldest first), a page at a time, each with who the
    principals on it are: what `audit export` writes as it goes, so that a long trail is never
    held whole. ``query.limit`` (0: every event) is kept to."""
    page, left = replace(query, limit=PAGE), query.limit
    while True:
        fetched = _limited_as_asked(query, ctx.backend.audit_events(page))
        batch = fetched.events
        # the server's word where it gives one: a server that caps pages below PAGE answers
        # short pages with more to come (and without it, a short page looked like the last)
        ended = not fetched.more if fetched.more is not None else len(batch) < PAGE
        last = not batch or ended or bool(query.limit and len(batch) >= left)
        if query.limit:
            batch, left = batch[:left], left - len(batch)
        yield EventPage(batch, fetched.names, fetched.project, fetched.project_id)
        if last:
            return
        if page.after is not None and fetched.events[-1].seq <= page.after:
            raise _not_onward(page.after, fetched.events[-1].seq)
        page = replace(page, after=fetched.events[-1].seq)


def _not_onward(after: int, last: int) -> NotAnEnvkeepRoute:
    """The refusal of a page of events after ``after`` that ends at or before it: a server
    that answered so, saying more were to come, held `audit export` in a loop, writing the
    same events without end."""
    return NotAnEnvkeepRoute(
        f"the server answered the audit events after {after} with a page ending at {last},"
        " not after it, as no envkeep server does; the export stopped there",
        hint="ask whoever runs the server to check it (or something between, a proxy)",
    )


def in_project(ctx: ClientContext, query: AuditQuery, project: str | None) -> AuditQuery:
    """``query`` limited to ``project``'s events; without one, to the checkout's project's
    (or ENVKEEP_PROJECT's) when the caller is that project's admin and not the workspace's:
    a project admin running `audit` in its checkout sees its events, not a refusal."""
    if project is not None:
        return replace(query, project=project)
    if ctx.has_checkout or ctx.settings.project:
        return replace(query, fallback_project=ctx.project_file.project)
    return query


def _limited_as_asked(query: AuditQuery, page: EventPage) -> EventPage:
    """Refuse the answer to ``audit --project`` of a server that did not limit it to the
    project (one older than this envkeep ignores the filter, and would show the whole trail
    as if it were the project's), and a page limited to a project that holds an event of
    another: its ``project_id`` not the page's, or its details (hashed) naming another."""
    asked = query.project or query.fallback_project
    if query.project is not None and page.project != query.project:
        raise UsageError(
            "this server does not limit the audit to a project (it is older than this envkeep)",
            hint="upgrade the server, or filter envkeep audit --json on its target field",
        )
    if page.project is None:
        return page
    stray = next((e for e in page.events if not _in_project(e, page.project_id)), None)
    if page.project != asked or page.project_id is None or stray is not None:
        at = f" (event {stray.seq})" if stray is not None else ""
        raise IntegrityError(
            f"the server's answer for project {asked or page.project}'s events holds another"
            f" project's{at}",
            hint="a workspace admin's envkeep audit verify checks the whole trail",
        )
    return page


def _in_project(event: EventView, project_id: str | None) -> bool:
    """Whether an event of a page limited to the project ``project_id`` lies in it: its
    ``project_id`` is that, and its details, where they say which project (or none), agree."""
    return event.project_id == project_id and not project_contradicted(event)


@dataclass(frozen=True)
class PinnedHead:
    """The newest event an earlier verification saw here: its seq and hash."""

    seq: int
    hash: str


@dataclass(frozen=True)
class Verification:
    """What verifying a chain found."""

    events: int
    broken_at: int | None  # the seq of the first bad link, None when intact
    head: str
    reason: str = ""
    forgotten: PinnedHead | None = None  # the head `--forget-head` gave up, when it did
    rolled_back: PinnedHead | None = None  # broken: the trail no longer holds this head seen here
    pinned: bool = False  # a head seen here before was compared (the trail held it)


def _pins_path(ctx: ClientContext) -> str:
    return str(ctx.settings.home / "audit-heads.json")


def _pin_key(ctx: ClientContext, workspace_id: str) -> str:
    return f"{ctx.server_url or 'local'}|{workspace_id}"


def verify(ctx: ClientContext, *, forget_head: int | None = None) -> Verification:
    """Recompute the whole chain; compare with the head pinned by the last verification.

    The pin is kept under the workspace this machine audits (the server's answer does not
    choose it: a trail sent back empty, or under another workspace's id, is compared with the
    same pin), and an event of another workspace breaks the chain. ``forget_head``, the seq of
    the pinned head as the refusal named it, accepts a trail that no longer holds that head
    (after a database restored from a backup, which rolls the trail back exactly as a
    truncation would): the old pin is replaced by the current head, and returned so the
    caller can say what was given up; any other number forgets nothing. A chain broken within
    itself is never re-pinned.

    The trail streams through page by page (`_Tally`), never held whole: 200,000 events held
    at once took 320 MB."""
    from pathlib import Path

    pins_file = Path(_pins_path(ctx))
    pins = json.loads(pins_file.read_text()) if pins_file.exists() else {}
    tally = _Tally(ctx.workspace_id, pins)
    pages = event_pages(ctx, AuditQuery(limit=0))
    stream = tally.watch(event for page in pages for event in page.events)
    broken = verify_chain(stream)
    for _rest in stream:  # counted, and its head read, after a break too
        pass
    count, head = tally.count, tally.head
    if broken is not None:
        return Verification(count, broken, head, "an event was edited, removed or moved")
    if tally.stray is not None:
        reason = "an event of another workspace is in this one's trail"
        return Verification(count, tally.stray, head, reason)
    workspace = tally.workspace or ""
    pinned = pins.get(_pin_key(ctx, workspace))
    forgotten = None
    if pinned is not None:
        seq, expected = int(pinned["seq"]), str(pinned["hash"])
        if seq > count or tally.hash_at(seq) != expected:
            if forget_head != seq:
                reason = "events seen before are missing or changed (truncated or rewritten)"
                at = min(seq, count + 1)
                return Verification(count, at, head, reason, rolled_back=PinnedHead(seq, expected))
            forgotten = PinnedHead(seq, expected)
    if count:
        pins[_pin_key(ctx, workspace)] = {"seq": tally.last_seq, "hash": head}
        write_atomic(
            pins_file, json.dumps(pins, indent=2).encode(), mode=0o600, private_parents=True
        )
    held = pinned is not None and forgotten is None
    return Verification(count, None, head, forgotten=forgotten, pinned=held)


class _Tally:
    """What verification needs of a trail besides its links, noted as the events stream past:
    how many, the last one, the first of another workspace than ``workspace`` (the one this
    machine audits, else the first event's), and the hash at each position a pin names."""

    def __init__(self, workspace: str | None, pins: Mapping[str, Mapping[str, object]]) -> None:
        self.workspace = workspace
        self._pinned = {int(str(p["seq"])) for p in pins.values() if "seq" in p}
        self._hashes: dict[int, str] = {}
        self.count = 0
        self.head = ""
        self.last_seq = 0
        self.stray: int | None = None

    def watch(self, events: Iterable[EventView]) -> Iterator[EventView]:
        for event in events:
            self.count += 1
            self.head, self.last_seq = event.hash, event.seq
            self.workspace = self.workspace or event.workspace_id
            if self.stray is None and event.workspace_id != self.workspace:
                self.stray = event.seq
            if self.count in self._pinned:
                self._hashes[self.count] = event.hash
            yield event

    def hash_at(self, position: int) -> str | None:
        """The hash of the ``position``-th event (1-based), where a pin names it."""
        return self._hashes.get(position)


def labels(event: EventView, names: Mapping[str, str]) -> dict[str, str | None]:
    """Who acted (``principal``) and whom the event is about (``subject``: the member a grant,
    revoke or removal concerns, a token made, the token a rotation made; ``replaced``: the
    token a rotation ended), as the server named them (an email, ``token NAME``; an invite's
    events, the invitee's email, their target); None where there is none, or no name came.
    ``via``: the command a read was made for, as its client said (`core.auditchain.via_command`)."""
    subject, replaced = subject_id(event), replaced_id(event)
    return {
        "principal": names.get(event.principal_id or ""),
        "subject": names.get(subject) if subject else _invitee(event),
        "replaced": names.get(replaced) if replaced else None,
        "via": via_command(event),
    }


def _invitee(event: EventView) -> str | None:
    """Whom an invite's event is about before any account exists: the email it names (its
    target), as `audit --subject EMAIL` finds it."""
    return event.target if event.action in INVITE_ACTIONS and "@" in event.target else None


def shown_subject(event: EventView, names: Mapping[str, str]) -> str:
    """Whom the event is about, for the table's SUBJECT column (``bob@example.com``, ``token
    ci``; the id's start when the server named no one), ``-`` for an event about no one. A
    rotation's is the token it ended (``token ci (rotated out)``), which a reader looks for,
    not its successor, which holds the name now (shown instead where the server named only
    the successor: one older than this client)."""
    replaced = replaced_id(event)
    if replaced is not None and replaced in names:
        return names[replaced]
    subject = subject_id(event)
    if subject is None:
        return _invitee(event) or "-"
    return names.get(subject) or subject[:8]


def render_events(
    events: list[EventView],
    fmt: str,
    names: Mapping[str, str] | None = None,
    *,
    header: bool = True,
) -> str:
    """JSON lines or CSV, one event each, every field, and who acted and whom the event is
    about by name, and the command a read was for (``principal``, ``subject``, ``replaced``,
    ``via``: `labels`, outside the chain). ``header``: the CSV's first line (a page after
    the first has none)."""
    check_format(fmt)
    rows = [asdict(e) | labels(e, names or {}) for e in events]
    if fmt == "jsonl":
        return "".join(json.dumps(row, sort_keys=True) + "\n" for row in rows)
    out = io.StringIO()
    fields = [*EventView.__dataclass_fields__, "principal", "subject", "replaced", "via"]
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    if header:
        writer.writeheader()
    writer.writerows({k: _inert(v) for k, v in row.items()} for row in rows)
    return out.getvalue()


def check_format(fmt: str) -> None:
    """Refuse an export format there is none of (before anything is fetched)."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown audit format '{fmt}'", hint=f"use one of: {', '.join(FORMATS)}")


# What a spreadsheet takes for a formula at the start of a cell (OWASP's list).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _inert(value: object) -> object:
    """A CSV cell a spreadsheet shows as text: one that starts as a formula would (an invited
    email ``=HYPERLINK(…)@x.io``, written by whoever may invite) gets a leading ``'``. Only the
    CSV is changed; JSON lines keep every field exactly, as the chain hashed it."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value
