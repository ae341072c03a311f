"""The audit hash chain, pure: hashing an event and checking a chain (DESIGN §5).

Each event's hash is SHA-256 over the previous event's hash and a canonical JSON form of the
event, so editing, deleting, reordering or truncating events breaks the chain at a point that
``verify_chain`` reports. The server appends (``app/audit.py``); anyone can verify.

One canonical form, since the first event. Every event names its project in its details
(``"project_id"``: `PROJECT_KEY`, the project's id, or null for the workspace's own events),
hashed with the rest, so any client, an older one included, verifies it as it always did; the
``project_id`` it is read back with (the column a project admin's read filters on) is not
hashed, and ``verify_chain`` holds it to the details: an event whose details name a project
(or none, by null) and whose ``project_id`` says another breaks the chain there. Only an event
whose details lack the key has a ``project_id`` no hash covers: one appended before projects
were recorded (its ``project_id`` derived by a migration from its target), or a workspace
event appended before the null was written.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping


class _Hashed(Protocol):
    """What the chain hashes of an event (an ORM row or an EventView)."""

    @property
    def workspace_id(self) -> str: ...

    @property
    def seq(self) -> int: ...

    @property
    def at(self) -> str: ...

    @property
    def principal_id(self) -> str | None: ...

    @property
    def action(self) -> str: ...

    @property
    def target(self) -> str: ...

    @property
    def outcome(self) -> str: ...

    @property
    def request_id(self) -> str | None: ...

    @property
    def ip(self) -> str | None: ...

    @property
    def details(self) -> str: ...


GENESIS = "0" * 64


def event_time_bound(text: str) -> str:
    """An ISO date or time (UTC unless it names an offset) as events' ``at`` is written: a
    UTC ``isoformat``, so that comparing the strings compares the times. ValueError when
    ``text`` is not one."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


# Events about an email before (or without) an account: their target is the invitee's email.
INVITE_ACTIONS = ("member.invite", "invite.withdraw", "invite.accept")


def subject_id(event: _Hashed) -> str | None:
    """The principal an event is about, besides its actor (the member a grant, revoke or
    removal concerns; the account of a token made, or the one a rotation made): ``principal_id``
    in its details, where it has one."""
    return _detail(event, "principal_id")


# The key of an event's details that names the project it lies in (by id; null: the workspace's).
PROJECT_KEY = "project_id"


def details_project(event: _Hashed) -> str | None:
    """The project an event's (hashed) details say it lies in, by id: None for the workspace's
    own, or one appended before projects were recorded."""
    return _detail(event, PROJECT_KEY)


def project_contradicted(event: EventView) -> bool:
    """Whether an event's hashed details say which project it lies in (an id, or null for
    none) and its ``project_id`` column says otherwise: the event was moved by its column."""
    said = _said(event, PROJECT_KEY)
    return said is not _UNSAID and said != event.project_id


def via_command(event: _Hashed) -> str | None:
    """The command a read event's client said it read for (``via``: ``service add``); None
    for another event, or a client that said none (api/client_command)."""
    return _detail(event, "via")


def replaced_id(event: _Hashed) -> str | None:
    """The account a `token.rotate` replaced (``replaced`` in its details), which the rotation
    ended: the token a reader of the trail looks for; None for any other event."""
    return _detail(event, "replaced")


def _detail(event: _Hashed, key: str) -> str | None:
    found = _said(event, key)
    return found if isinstance(found, str) else None


_UNSAID = object()  # `_said`: the details do not hold the key (or are not a JSON object)


def _said(event: _Hashed, key: str) -> object:
    """What an event's details hold under ``key`` (null included), or `_UNSAID`."""
    try:
        details = json.loads(event.details)
    except (ValueError, RecursionError):  # not JSON, or nested past what the parser takes
        return _UNSAID
    return details.get(key, _UNSAID) if isinstance(details, dict) else _UNSAID


@dataclass(frozen=True)
class EventPage:
    """A page of events, with who each principal that acted or that an event is about
    (`subject_id`) is (id → a member's email, or ``token NAME``) for showing them; the names
    are not part of the chain."""

    events: list[EventView]
    names: dict[str, str]
    project: str | None = None  # the project the page is limited to (None: the workspace's)
    project_id: str | None = None  # and its id, which its events' details name
    # Whether the server has more after this page (its ``next_after``); None where it does not
    # say (the embedded store, whose pages hold what was asked up to its 5,000): a page
    # shorter than asked is then the last.
    more: bool | None = None


@dataclass(frozen=True)
class AuditQuery:
    """One page of a workspace's events, filtered; ``project``: only that project's (its
    admin's read); ``fallback_project``: that project's when the caller may not read the whole
    workspace's trail but administers the project (a checkout's, for its project admin)."""

    after: int = 0
    limit: int = 500
    principal: str | None = None
    action: str | None = None
    target: str | None = None
    since: str | None = None
    until: str | None = None
    newest: bool = False  # the last ``limit`` events that match (still in chain order)
    subject: str | None = None  # whom the events are about (`subject_id`), as ``principal``
    project: str | None = None
    fallback_project: str | None = None


@dataclass(frozen=True)
class EventView:
    """An audit event as the chain hashes it."""

    workspace_id: str
    seq: int
    at: str
    principal_id: str | None
    action: str
    target: str
    outcome: str
    request_id: str | None
    ip: str | None
    details: str
    prev_hash: str
    hash: str
    # The project the event's target lies in (migration 0012's column; None: the workspace's
    # own, or appended before and not derivable). Not hashed: the details' ``project_id`` is,
    # and `verify_chain` holds this one to it where they hold one.
    project_id: str | None = None


# The canonical form: sorted keys, no spaces, ASCII only (one encoder, not one per event).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def event_hash(prev_hash: str, fields: Mapping[str, object]) -> str:
    """The chain hash of one event given its predecessor's hash."""
    canonical = _CANONICAL.encode(fields)
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


def hashed_fields(event: _Hashed) -> dict[str, object]:
    return {
        "workspace_id": event.workspace_id,
        "seq": event.seq,
        "at": event.at,
        "principal_id": event.principal_id,
        "action": event.action,
        "target": event.target,
        "outcome": event.outcome,
        "request_id": event.request_id,
        "ip": event.ip,
        "details": event.details,
    }


def verify_chain(events: Iterable[EventView], *, expected_head: str | None = None) -> int | None:
    """The seq of the first broken link in a chain given in seq order, or None when intact: a
    link out of order, a hash that is not its event's, or an event whose details name a
    project (or, by null, none) other than its ``project_id`` (moved by the column alone)."""
    prev = GENESIS
    expected_seq = 1
    for event in events:
        if event.seq != expected_seq or event.prev_hash != prev:
            return expected_seq
        if event_hash(prev, hashed_fields(event)) != event.hash:
            return event.seq
        if project_contradicted(event):
            return event.seq
        prev, expected_seq = event.hash, expected_seq + 1
    if expected_head is not None and prev != expected_head:
        return expected_seq
    return None
