"""The tamper-evident audit trail: one hash chain per workspace.

Each event's hash is SHA-256 over the previous event's hash and a canonical JSON form of the
event, so editing, deleting, reordering or truncating events breaks the chain at a point that
``verify_chain`` reports. Events never hold secret material: ids, names of containers, counts.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from envkeep.app.authz import require_role
from envkeep.app.policy import Role, Target
from envkeep.app.principal_labels import principal_name, shown_name
from envkeep.core.auditchain import (
    GENESIS,
    EventView,
    event_hash,
    event_time_bound,
    hashed_fields,
    verify_chain,
)
from envkeep.core.errors import UsageError
from envkeep.store.models import AuditEvent, Principal

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
    from collections.abc import Iterable, Mapping

    from envkeep.app.context import Call


def append_event(
    call: Call,
    *,
    workspace_id: str,
    action: str,
    target: str,
    outcome: str = "ok",
    details: Mapping[str, object] | None = None,
) -> EventView:
    """Append one event to the workspace's chain, inside the caller's transaction.

    The workspace row is locked first on PostgreSQL, so concurrent transactions extend the
    chain one after the other instead of forking it (SQLite serialises writers already: each
    transaction starts with BEGIN IMMEDIATE). The statements go to the driver as they are:
    every request runs this, reads included.
    """
    if call.session.get_bind().dialect.name != "sqlite":
        call.fetch(_LOCK, {"id": workspace_id})
    last = call.fetch(
        "SELECT seq, hash FROM audit_events WHERE workspace_id = :ws ORDER BY seq DESC LIMIT 1",
        {"ws": workspace_id},
    )
    seq, prev = (last[0][0] + 1, last[0][1]) if last else (1, GENESIS)
    unhashed = EventView(
        workspace_id,
        seq,
        call.clock().isoformat(),
        call.actor.principal_id,
        action,
        target,
        outcome,
        call.actor.request_id,
        call.actor.ip,
        _DETAILS.encode(dict(details or {})),
        prev,
        "",
    )
    fields = hashed_fields(unhashed)
    digest = event_hash(prev, fields)
    call.execute(_INSERT, {**fields, "prev_hash": prev, "hash": digest})
    return EventView(**fields, prev_hash=prev, hash=digest)  # type: ignore[arg-type]


DENIED = "denied"  # the outcome of a refused request's event
_MEMBER = "SELECT 1 FROM role_bindings WHERE workspace_id = :ws AND principal_id = :p LIMIT 1"


def record_denied(
    call: Call, *, workspace_id: str, target: str, details: Mapping[str, object]
) -> bool:
    """A request the server refused (403) to a member of the workspace, as an event of its own
    (``request.denied``, outcome ``denied``): the refused request's transaction rolled back,
    its own event with it. Whether one was appended: a principal with no role in the workspace
    (another tenant's) leaves nothing in it, so no tenant writes into another's trail."""
    if not call.fetch(_MEMBER, {"ws": workspace_id, "p": call.actor.principal_id}):
        return False
    append_event(
        call,
        workspace_id=workspace_id,
        action="request.denied",
        target=target,
        outcome=DENIED,
        details=details,
    )
    return True


_DETAILS = json.JSONEncoder(sort_keys=True)  # an event's details, as json.dumps(sort_keys=True)


_LOCK = "SELECT id FROM workspaces WHERE id = :id FOR UPDATE"
_INSERT = (
    "INSERT INTO audit_events (workspace_id, seq, at, principal_id, action, target, outcome,"
    " request_id, ip, details, prev_hash, hash) VALUES (:workspace_id, :seq, :at, :principal_id,"
    " :action, :target, :outcome, :request_id, :ip, :details, :prev_hash, :hash)"
)


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
) -> list[EventView]:
    """A page of a workspace's events in chain order (workspace admins only): the first
    ``limit`` after ``after``, or with ``newest`` the last ``limit`` of them."""
    require_role(call, Target(workspace_id), Role.ADMIN)
    order = AuditEvent.seq.desc() if newest else AuditEvent.seq
    query = (
        select(AuditEvent)
        .where(AuditEvent.workspace_id == workspace_id, AuditEvent.seq > after)
        .order_by(order)
        .limit(max(1, min(limit, 5000)))
    )
    if principal:
        ids = _principal_ids(call, workspace_id, principal)
        query = query.where(AuditEvent.principal_id.in_(ids))
    if action:
        query = query.where(AuditEvent.action.startswith(action))
    if target:
        query = query.where(AuditEvent.target.contains(target))
    if since:
        query = query.where(AuditEvent.at >= _bound("since", since))
    if until:
        query = query.where(AuditEvent.at < _bound("until", until))
    found = [event_view(e) for e in call.session.scalars(query)]
    return found[::-1] if newest else found


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
    the token ``NAME``."""
    named = principal_name(workspace_id, principal.removeprefix("token "))
    found = call.session.scalars(select(Principal.id).where(Principal.name == named))
    return [principal, *found]


def principal_names(call: Call, *, workspace_id: str, ids: Iterable[str | None]) -> dict[str, str]:
    """Who the principals behind a workspace's events are, for showing them (workspace
    admins, as for the events): a user's email, a token as ``token NAME`` (``(replaced)`` once
    rotated). Every one acted in the workspace, so its admins know them already."""
    require_role(call, Target(workspace_id), Role.ADMIN)
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
