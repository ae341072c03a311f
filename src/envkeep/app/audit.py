"""The tamper-evident audit trail: one hash chain per workspace.

Each event's hash is SHA-256 over the previous event's hash and a canonical JSON form of the
event, so editing, deleting, reordering or truncating events breaks the chain at a point that
``verify_chain`` reports. Events never hold secret material: ids, names of containers, counts.
Events are appended by `audit_append` (re-exported here); this module reads the chain.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlalchemy import and_, func, or_, select

from envkeep.app._lookup import project_by_name
from envkeep.app.audit_append import DENIED, append_event, record_denied
from envkeep.app.authz import audit_scope
from envkeep.app.principal_labels import (
    principal_name,
    retired_prefixes,
    shown_name,
    token_label,
)
from envkeep.core.auditchain import (
    GENESIS,
    INVITE_ACTIONS,
    EventPage,
    EventView,
    event_time_bound,
    replaced_id,
    subject_id,
    verify_chain,
)
from envkeep.core.errors import UsageError
from envkeep.store.models import AuditEvent, Principal, Project

__all__ = [
    "DENIED",
    "GENESIS",
    "EventView",
    "append_event",
    "count_events",
    "list_events",
    "record_denied",
    "verify_chain",
]

if TYPE_CHECKING:
    from collections.abc import Iterable

    from envkeep.app.context import Call


# An account id as the store makes them (a UUID): safe inside a LIKE pattern as it is.
_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def count_events(call: Call, workspace_id: str) -> int:
    """How many events a workspace's chain holds."""
    total = call.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.workspace_id == workspace_id)
    )
    return int(total or 0)


def event_view(event: AuditEvent) -> EventView:
    """An audit row as the chain sees it."""
    return EventView(
        event.workspace_id,
        event.seq,
        event.at,
        event.principal_id,
        event.action,
        event.target,
        event.outcome,
        event.request_id,
        event.ip,
        event.details,
        event.prev_hash,
        event.hash,
        event.project_id,
    )


def list_events(
    call: Call,
    *,
    workspace_id: str,
    after: int = 0,
    limit: int = 500,
    principal: str | None = None,
    action: str | None = None,
    target: str | None = None,
    since: str | None = None,
    until: str | None = None,
    newest: bool = False,
    subject: str | None = None,
    project: str | None = None,
    fallback_project: str | None = None,
) -> EventPage:
    """A page of a workspace's events in chain order, with who the principals on it are
    (`_page_names`): the first ``limit`` after ``after``, or with ``newest`` the last ``limit``
    of them. The workspace's admins read every event; a project's admin those of its project
    (`authz.audit_scope`): ``project``, or ``fallback_project`` when the caller may not read
    the whole trail (the page says which project it is limited to). ``principal``: who acted;
    ``subject``: whom an event is about (a member granted, revoked or removed, a token made,
    rotated or rotated out), each an email, a token's name or an id."""
    scope = _scope(call, workspace_id, project, fallback_project)
    order = AuditEvent.seq.desc() if newest else AuditEvent.seq
    query = (
        select(AuditEvent)
        .where(AuditEvent.workspace_id == workspace_id, AuditEvent.seq > after)
        .order_by(order)
        .limit(max(1, min(limit, 5000)))
    )
    if scope is not None:
        query = query.where(AuditEvent.project_id == scope.id)
    if principal:
        ids = _principal_ids(call, workspace_id, principal)
        query = query.where(AuditEvent.principal_id.in_(ids))
    if subject:
        # The details are JSON written with json.dumps' separators (`audit_append._DETAILS`);
        # an invite's events name the invitee by email, in their target.
        ids = _principal_ids(call, workspace_id, subject)
        # A token.rotate is about the account it replaced too (`replaced_id`).
        about = [f'"{key}": "{i}"' for i in ids for key in ("principal_id", "replaced")]
        invited = and_(
            AuditEvent.action.in_(INVITE_ACTIONS), AuditEvent.target == subject.strip().lower()
        )
        matches = [AuditEvent.details.contains(a, autoescape=True) for a in about]
        # A token a change of roles ended, in that event's `tokens_revoked_ids` (ids only:
        # a name given again would find the other token's events).
        matches += [
            AuditEvent.details.like(f'%"tokens_revoked_ids": [%"{i}"%')
            for i in ids
            if _ID.fullmatch(i)
        ]
        query = query.where(or_(*matches, invited))
    if action:
        query = query.where(AuditEvent.action.startswith(action))
    if target:
        query = query.where(AuditEvent.target.contains(target))
    if since:
        query = query.where(AuditEvent.at >= _bound("since", since))
    if until:
        query = query.where(AuditEvent.at < _bound("until", until))
    found = [event_view(e) for e in call.session.scalars(query)]
    events = found[::-1] if newest else found
    names = _page_names(call, events)
    if scope is None:
        return EventPage(events, names)
    return EventPage(events, names, scope.name, scope.id)


def _scope(
    call: Call, workspace_id: str, project: str | None, fallback: str | None
) -> Project | None:
    """The project a read of the trail is limited to (None: the whole trail), once the caller
    may read it (`authz.audit_scope`). A ``project`` the caller may not see is not found, as
    everywhere; a ``fallback`` that is not there is no fallback (the refusal is the whole
    trail's)."""
    if project is not None:
        named = project_by_name(call, workspace_id, project)
        audit_scope(call, workspace_id, project_id=named.id)
        return named
    found = None
    if fallback is not None:
        found = call.session.scalar(
            select(Project).where(Project.workspace_id == workspace_id, Project.name == fallback)
        )
    fallback_id = found.id if found is not None else None
    chosen = audit_scope(call, workspace_id, project_id=None, fallback_id=fallback_id)
    return found if chosen is not None else None


def _bound(which: str, text: str) -> str:
    """A ``since``/``until`` as the events' ``at`` is written (so strings compare as times)."""
    try:
        return event_time_bound(text)
    except ValueError:
        raise UsageError(
            f"{which} {text!r} is not an ISO date or time",
            hint="e.g. 2026-11-01 or 2026-11-01T09:30 (UTC), or 2026-11-01T09:30+01:00",
        ) from None


def _principal_ids(call: Call, workspace_id: str, principal: str) -> list[str]:
    """The ids a ``principal`` filter means: the id itself, or the account an email or a token
    name (as `token list` shows it) names. Only this workspace's events are searched, so a
    name from another workspace finds nothing. ``token NAME``, as the trail shows a token, is
    the token ``NAME``: the account that holds the name now and every one that held it before
    (rotated out by `token rotate`, or revoked before a new token took the name), so one
    filter follows "the CI token" across rotations."""
    named = principal_name(workspace_id, principal)
    label = token_label(named)
    earlier = retired_prefixes(workspace_id, label) if label is not None else ()
    matches = or_(
        Principal.name == named, *(Principal.name.startswith(p, autoescape=True) for p in earlier)
    )
    found = call.session.execute(select(Principal.id, Principal.name).where(matches))
    # SQLite's LIKE ignores case, and token names do not: `CI` is not `ci`.
    return [principal, *(i for i, name in found if name == named or name.startswith(earlier))]


def _page_names(call: Call, events: Iterable[EventView]) -> dict[str, str]:
    """Who the principals of a page the caller may read are (`shown_names`: a user's email, a
    token as ``token NAME``, ``(rotated out)`` or ``(revoked)`` once a newer token holds the
    name): its actors and those its events are about (`subject_id`: a granted, revoked or
    removed member; a token made or rotated; and `replaced_id`: the token a rotation ended),
    read from ids the events hold already, so the chain is as it was. Every one acted in the
    workspace or held a role in it, and a project's admin is shown those of its project's
    events only: who acted there, was given or lost a role there, or was refused there."""
    ids = [i for e in events for i in (e.principal_id, subject_id(e), replaced_id(e))]
    return shown_names(call, ids)


def shown_names(call: Call, ids: Iterable[str | None]) -> dict[str, str]:
    """Principals by id as `shown_name` shows them; the caller decides who may see whom."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = call.session.execute(
        select(Principal.id, Principal.name, Principal.kind).where(Principal.id.in_(wanted))
    )
    return {pid: shown_name(name, kind) for pid, name, kind in rows}
