"""Migration 0012 on a database with a trail: each event that names a project beyond doubt
gets that project's id, the rest stay the workspace's (NULL), and the chain verifies as it did;
events appended after it hash their project, so moving one between projects breaks the chain.
On SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from envkeep.app.audit import event_view
from envkeep.app.audit_append import append_event
from envkeep.app.context import Actor, Call
from envkeep.core.auditchain import GENESIS, EventView, event_hash, legacy_fields, verify_chain
from envkeep.store.engine import open_engine
from envkeep.store.migrate import upgrade
from envkeep.store.models import AuditEvent

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

NOW = datetime(2026, 11, 2, tzinfo=UTC)
TENANTS = {"w": "acme", "v": "other"}
# Projects by (workspace, name): a name with a slash in it (from before names were ruled),
# one that the slash's first half names too, and names a token and an old grant may hold.
PROJECTS = {
    ("w", "shop"): "p-shop",
    ("w", "billing"): "p-billing",
    ("w", "old"): "p-old",
    ("w", "old/name"): "p-old-name",
    ("w", "ci"): "p-ci",
    ("w", "workspace"): "p-workspace",
    ("v", "shop"): "p-v-shop",
}
SNAPSHOT = "/v1/workspaces/{workspace_id}/projects/{project}/environments/{environment}/snapshot"
# (workspace, action, target, details, the project the migration must find: None to leave)
TRAIL: list[tuple[str, str, str, dict[str, object], str | None]] = [
    ("w", "workspace.create", "acme", {}, None),
    ("w", "project.create", "shop", {"environments": ["dev"]}, "p-shop"),
    ("w", "environment.create", "shop/prod", {"variables": 0}, "p-shop"),
    ("w", "secrets.write", "shop/prod", {"written": 1}, "p-shop"),
    ("w", "secrets.read", "shop/dev", {"secrets": 3}, "p-shop"),
    ("w", "secrets.history", "shop/dev", {"secret_id": "s"}, "p-shop"),
    ("w", "service.add", "shop/api", {}, "p-shop"),
    ("w", "member.grant", "shop/dev", {"principal_id": "bob", "role": "read"}, "p-shop"),
    ("w", "member.revoke", "shop", {"principal_id": "bob"}, "p-shop"),
    ("w", "member.grant", "workspace acme", {"principal_id": "bob"}, None),
    ("w", "member.grant", "workspace", {"principal_id": "bob"}, None),  # the older form
    ("w", "member.invite", "bob@x.io", {"project": "shop", "role": "read"}, "p-shop"),
    ("w", "invite.withdraw", "eve@x.io", {"project": None, "role": "read"}, None),
    ("w", "member.invite", "joe@x.io", {"project": "ghost", "role": "read"}, None),
    ("w", "request.denied", "shop/prod", {"method": "GET", "route": SNAPSHOT}, "p-shop"),
    ("w", "request.denied", "ci", {"route": "/v1/workspaces/{workspace_id}/tokens/{label}"}, None),
    ("w", "token.create", "shop", {"role": "read"}, None),  # a token named like a project
    ("w", "project.create", "billing", {}, "p-billing"),
    ("w", "environment.rotate_key", "billing/prod", {"key_version": 2}, "p-billing"),
    ("w", "secrets.read", "old/name/dev", {}, None),  # `old` and `old/name` both match
    ("w", "secrets.read", "ghost/dev", {}, None),
    ("w", "session.login", "bob@x.io", {}, None),
    ("v", "workspace.create", "other", {}, None),
    ("v", "secrets.read", "shop/dev", {}, "p-v-shop"),
]


def _old_trail(connection: Connection) -> None:
    """The workspaces, projects and events of TRAIL, each hashed as before migration 0012."""
    for workspace, name in TENANTS.items():
        connection.execute(
            text("INSERT INTO workspaces (id, name, created_at) VALUES (:id, :name, :now)"),
            {"id": workspace, "name": name, "now": NOW},
        )
    for (workspace, name), project in PROJECTS.items():
        connection.execute(
            text(
                "INSERT INTO projects (id, workspace_id, name, created_at)"
                " VALUES (:id, :ws, :name, :now)"
            ),
            {"id": project, "ws": workspace, "name": name, "now": NOW},
        )
    heads = dict.fromkeys(TENANTS, (0, GENESIS))
    for workspace, action, target, details, _ in TRAIL:
        seq, prev = heads[workspace]
        draft = EventView(
            workspace,
            seq + 1,
            f"2026-11-02T08:00:{seq:02d}+00:00",
            "admin",
            action,
            target,
            "ok",
            f"r{seq}",
            "127.0.0.1",
            json.dumps(details, sort_keys=True),
            prev,
            "",
        )
        fields = legacy_fields(draft)
        digest = event_hash(prev, fields)
        connection.execute(
            text(
                "INSERT INTO audit_events (workspace_id, seq, at, principal_id, action, target,"
                " outcome, request_id, ip, details, prev_hash, hash) VALUES (:workspace_id,"
                " :seq, :at, :principal_id, :action, :target, :outcome, :request_id, :ip,"
                " :details, :prev_hash, :hash)"
            ),
            {**fields, "prev_hash": prev, "hash": digest},
        )
        heads[workspace] = (seq + 1, digest)


def _chain(engine: Engine, workspace: str) -> list[EventView]:
    with Session(engine) as session:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.workspace_id == workspace).order_by(AuditEvent.seq)
        )
        return [event_view(row) for row in rows]


def _migrated(database: str) -> Engine:
    engine = open_engine(database)
    upgrade(engine, "0011")
    with engine.begin() as connection:
        _old_trail(connection)
    upgrade(engine)
    return engine


def test_the_migration_finds_each_events_project_where_its_target_says_it(
    database: str,
) -> None:
    engine = _migrated(database)
    try:
        found = {w: _chain(engine, w) for w in TENANTS}
        expected = {w: [p for ws, *_, p in TRAIL if ws == w] for w in TENANTS}

        assert {w: [e.project_id for e in events] for w, events in found.items()} == expected
        assert all(verify_chain(events) is None for events in found.values())
    finally:
        engine.dispose()


def test_events_after_the_migration_hash_their_project_and_the_chain_verifies_across(
    database: str,
) -> None:
    engine = _migrated(database)
    try:
        with Session(engine) as session, session.begin():
            call = Call(session, Actor("admin"))
            append_event(
                call,
                workspace_id="w",
                action="secrets.read",
                target="shop/dev",
                project_id="p-shop",
            )
            append_event(call, workspace_id="w", action="session.login", target="bob@x.io")
        events = _chain(engine, "w")
        read, login = events[-2:]
        old = next(e for e in events if e.action == "member.invite" and e.project_id)

        assert verify_chain(events) is None
        assert (read.project_id, login.project_id) == ("p-shop", None)
        # A new event moved to another project, or into one, breaks the chain there...
        moved = [replace(e, project_id="p-billing") if e is read else e for e in events]
        into = [replace(e, project_id="p-shop") if e is login else e for e in events]
        assert verify_chain(moved) == read.seq
        assert verify_chain(into) == login.seq
        # ...an event from before it was never hashed with one: its project is the migration's.
        assert (
            verify_chain([replace(e, project_id=None) if e is old else e for e in events]) is None
        )
    finally:
        engine.dispose()
