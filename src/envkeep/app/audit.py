"""The tamper-evident audit trail: one hash chain per workspace.

Each event's hash is SHA-256 over the previous event's hash and a canonical JSON form of the
event, so editing, deleting, reordering or truncating events breaks the chain at a point that
``verify_chain`` reports. Events never hold secret material: ids, names of containers, counts.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from envkeep.store.models import AuditEvent, Workspace

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from envkeep.app.context import Call

GENESIS = "0" * 64


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


def event_hash(prev_hash: str, fields: Mapping[str, object]) -> str:
    """The chain hash of one event given its predecessor's hash."""
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


def _hashed_fields(event: EventView | AuditEvent) -> dict[str, object]:
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


def append_event(
    call: Call,
    *,
    workspace_id: str,
    action: str,
    target: str,
    outcome: str = "ok",
    details: Mapping[str, object] | None = None,
) -> AuditEvent:
    """Append one event to the workspace's chain, inside the caller's transaction.

    The workspace row is locked first (PostgreSQL; SQLite already serialises writers), so
    concurrent transactions extend the chain one after the other instead of forking it.
    """
    call.session.execute(select(Workspace.id).where(Workspace.id == workspace_id).with_for_update())
    last = call.session.execute(
        select(AuditEvent.seq, AuditEvent.hash)
        .where(AuditEvent.workspace_id == workspace_id)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    event = AuditEvent(
        workspace_id=workspace_id,
        seq=seq,
        at=call.clock().isoformat(),
        principal_id=call.actor.principal_id,
        action=action,
        target=target,
        outcome=outcome,
        request_id=call.actor.request_id,
        ip=call.actor.ip,
        details=json.dumps(dict(details or {}), sort_keys=True),
        prev_hash=prev,
        hash="",
    )
    event.hash = event_hash(prev, _hashed_fields(event))
    call.session.add(event)
    call.session.flush()
    return event


def count_events(call: Call, workspace_id: str) -> int:
    """How many events a workspace's chain holds."""
    total = call.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.workspace_id == workspace_id)
    )
    return int(total or 0)


def verify_chain(events: Iterable[EventView], *, expected_head: str | None = None) -> int | None:
    """The seq of the first broken link in a chain given in seq order, or None when intact."""
    prev = GENESIS
    expected_seq = 1
    for event in events:
        if event.seq != expected_seq or event.prev_hash != prev:
            return expected_seq
        if event_hash(prev, _hashed_fields(event)) != event.hash:
            return event.seq
        prev, expected_seq = event.hash, expected_seq + 1
    if expected_head is not None and prev != expected_head:
        return expected_seq
    return None
