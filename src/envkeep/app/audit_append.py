"""Appending to a workspace's audit chain, inside the caller's transaction: every request that
reads or changes data does it. Plain driver SQL through ``Call.fetch``/``execute``, no ORM, so
that a write on the embedded store needs no SQLAlchemy (`client/local.py`); reading and
verifying the chain is `audit`'s.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from envkeep.core.auditchain import GENESIS, PROJECT_KEY, EventView, event_hash, hashed_fields

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from envkeep.app.context import Call

__all__ = [
    "DENIED",
    "append_account_event",
    "append_event",
    "append_to_workspaces",
    "project_named",
    "record_denied",
    "record_failed_login",
    "record_wrong_passphrase",
]


def append_event(
    call: Call,
    *,
    workspace_id: str,
    action: str,
    target: str,
    outcome: str = "ok",
    details: Mapping[str, object] | None = None,
    project_id: str | None = None,
) -> EventView:
    """Append one event to the workspace's chain, inside the caller's transaction;
    ``project_id``: the project its target lies in (its admin reads the event), None for the
    workspace's own events. It goes into the event's details (``"project_id"``, null for
    None, hashed with them in the one canonical form every client knows: `core.auditchain`)
    and into the ``project_id`` column, the same value, which the project admin's read filters
    on: the hash covers the column either way.

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
    written = dict(details or {})
    if PROJECT_KEY in written:  # a use case's own key would be read as the event's project
        raise ValueError(f"an event's details may not hold {PROJECT_KEY!r}: it names its project")
    written[PROJECT_KEY] = project_id
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
        _DETAILS.encode(written),
        prev,
        "",
        project_id,
    )
    fields = hashed_fields(unhashed)
    digest = event_hash(prev, fields)
    done = {**fields, "prev_hash": prev, "hash": digest, "project_id": project_id}
    call.execute(_INSERT, done)
    return EventView(**done)  # type: ignore[arg-type]


DENIED = "denied"  # the outcome of a refused request's event
# A member, or one that was: it accepted an invite to the workspace, or founded it (the
# chain's first event is its own); another tenant's principal is none of these. The workspace
# exists when one is found. Each part is a small table or an indexed lookup: the audit trail,
# which grows with every request, is not searched by principal (no index on it: one more page
# on every event's insert, for this refusal path).
_OWN = (
    "SELECT 1 FROM role_bindings WHERE workspace_id = :ws AND principal_id = :p"
    " UNION ALL SELECT 1 FROM ended_roles WHERE workspace_id = :ws AND principal_id = :p"
    " UNION ALL SELECT 1 FROM invites WHERE workspace_id = :ws AND accepted_by = :p"
    " UNION ALL SELECT 1 FROM audit_events WHERE workspace_id = :ws AND seq = 1"
    " AND principal_id = :p"
)


def record_denied(
    call: Call,
    *,
    workspace_id: str,
    target: str,
    details: Mapping[str, object],
    project: str | None = None,
) -> bool:
    """A request the server refused (403, or a 404 that may hide a project: `api/denials.py`)
    to a member of the workspace, or to a former one, as an event of its own
    (``request.denied``, outcome ``denied``): the refused request's transaction rolled back,
    its own event with it. Whether one was appended: a principal that never held a role in
    the workspace nor acted in it (another tenant's) leaves nothing in it, so no tenant
    writes into another's trail; a removed member still trying is recorded. ``project``: the
    name of the project the route named, whose admin reads the event when it exists (one that
    does not leaves the event the workspace's: only its admins see such probes)."""
    if not call.fetch(f"{_OWN} LIMIT 1", {"ws": workspace_id, "p": call.actor.principal_id}):
        return False
    append_event(
        call,
        workspace_id=workspace_id,
        action="request.denied",
        target=target,
        outcome=DENIED,
        details=details,
        project_id=project_named(call, workspace_id, project) if project else None,
    )
    return True


# Every workspace the account holds a role in, with its name.
_EVERY_WORKSPACE = (
    "SELECT DISTINCT b.workspace_id, p.name FROM role_bindings b"
    " JOIN principals p ON p.id = b.principal_id WHERE b.principal_id = :p"
)


def append_account_event(
    call: Call,
    *,
    action: str,
    outcome: str = "ok",
    details: Mapping[str, object] | None = None,
) -> bool:
    """Append an event of the acting account's own (a logout, a session revoked, a passphrase
    changed or proved wrong, a login refused) to the chain of every workspace it holds a role
    in, naming the account: its sessions and passphrase are the account's, so each
    workspace's admins learn of them, and one workspace's trail would show the others
    nothing. It names only the account, which each of those workspaces lists already, and
    goes to no workspace it holds no role in. Whether one was appended (an account with no
    role anywhere has no chain)."""
    rows = call.fetch(_EVERY_WORKSPACE, {"p": call.actor.principal_id})
    if rows:
        append_to_workspaces(
            call,
            [str(w) for w, _name in rows],
            action=action,
            target=str(rows[0][1]),
            outcome=outcome,
            details=details,
        )
    return bool(rows)


def append_to_workspaces(
    call: Call,
    workspaces: Iterable[str],
    *,
    action: str,
    target: str,
    outcome: str = "ok",
    details: Mapping[str, object] | None = None,
) -> None:
    """One event, the same, in the chain of each of ``workspaces``: an act on a whole account
    (`append_account_event`, `member logout`). In workspace id order, the order every such
    append locks their rows in on PostgreSQL, so two never wait on each other; last in the
    transaction, as `principal_lock`'s lock order has the workspace rows."""
    for workspace_id in sorted(set(workspaces)):
        append_event(
            call,
            workspace_id=workspace_id,
            action=action,
            target=target,
            outcome=outcome,
            details=details,
        )


def record_wrong_passphrase(call: Call, *, details: Mapping[str, object]) -> bool:
    """A wrong passphrase proved with a live session (`account passphrase`, or its check):
    whoever holds a stolen session guesses the passphrase this way, so each refusal goes in
    the trail, as ``request.denied`` naming the account, in the chains its other account
    events go to. Whether one was appended (an account with no role anywhere has no chain)."""
    return append_account_event(call, action="request.denied", outcome=DENIED, details=details)


def record_failed_login(call: Call, *, details: Mapping[str, object]) -> bool:
    """A login to the acting account refused (a wrong passphrase, or a disabled account):
    whoever guesses a member's passphrase shows as ``session.login``, denied, naming the
    account, in the chains its other account events go to. Whether one was appended (an
    account with no role anywhere has no chain)."""
    return append_account_event(call, action="session.login", outcome=DENIED, details=details)


def project_named(call: Call, workspace_id: str, name: str) -> str | None:
    """The id of the workspace's project called ``name``, for an event's ``project_id``
    (None: there is none); no authorisation: the caller's use case did it, or the event is a
    refusal's."""
    rows = call.fetch(_PROJECT, {"ws": workspace_id, "name": name})
    return str(rows[0][0]) if rows else None


_DETAILS = json.JSONEncoder(sort_keys=True)  # an event's details, as json.dumps(sort_keys=True)


_LOCK = "SELECT id FROM workspaces WHERE id = :id FOR UPDATE"
_INSERT = (
    "INSERT INTO audit_events (workspace_id, seq, at, principal_id, action, target, outcome,"
    " request_id, ip, details, prev_hash, hash, project_id) VALUES (:workspace_id, :seq, :at,"
    " :principal_id, :action, :target, :outcome, :request_id, :ip, :details, :prev_hash, :hash,"
    " :project_id)"
)
_PROJECT = "SELECT id FROM projects WHERE workspace_id = :ws AND name = :name"
