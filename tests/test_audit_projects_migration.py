"""Migration 0012 on a database with a trail: each event that names a project beyond doubt
gets that project's id, the rest stay the workspace's (NULL), and the chain verifies as it did;
events appended after it name their project in their details too (hashed in the one canonical
form, so an older CLI verifies them), and moving one between projects by the column alone
breaks the chain. No index is added: a project's page of a trail of thousands of events is
read along the (workspace_id, seq) one. On SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from alembic import command
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from envkeep.app.audit import event_view, list_events
from envkeep.app.audit_append import append_event
from envkeep.app.context import Actor, Call
from envkeep.core.auditchain import (
    GENESIS,
    EventView,
    details_project,
    event_hash,
    hashed_fields,
    verify_chain,
)
from envkeep.store.engine import open_engine
from envkeep.store.migrate import _config, upgrade
from envkeep.store.models import AuditEvent
from tests.audit_0011 import old_verify

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

    from tests.conftest import Owner, Store

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
# Made after the trail below: refused before it existed, a probe of its name is no event of it.
LATER = {("w", "late"): "p-late"}
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
    ("w", "request.denied", "late/prod", {"method": "GET", "route": SNAPSHOT}, None),
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
    made = [(key, project, NOW) for key, project in PROJECTS.items()]
    made += [(key, project, NOW + timedelta(days=1)) for key, project in LATER.items()]
    for (workspace, name), project, created in made:
        connection.execute(
            text(
                "INSERT INTO projects (id, workspace_id, name, created_at)"
                " VALUES (:id, :ws, :name, :now)"
            ),
            {"id": project, "ws": workspace, "name": name, "now": created},
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
        fields = hashed_fields(draft)
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


def test_events_after_the_migration_name_their_project_in_what_every_cli_hashes(
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
                details={"secrets": 2},
                project_id="p-shop",
            )
            append_event(call, workspace_id="w", action="session.login", target="bob@x.io")
        events = _chain(engine, "w")
        read, login = events[-2:]
        old = next(e for e in events if e.action == "member.invite" and e.project_id)

        assert verify_chain(events) is None
        assert old_verify(events) is None  # an envkeep older than the server verifies it all
        assert (read.project_id, login.project_id) == ("p-shop", None)
        assert json.loads(read.details) == {"secrets": 2, "project_id": "p-shop"}
        assert (details_project(login), login.details) == (None, '{"project_id": null}')
        # A new event moved to another project, out of any or into one by its column breaks
        # the chain there; moving it in its details too breaks its hash, for any CLI...
        moved = [replace(e, project_id="p-billing") if e is read else e for e in events]
        out = [replace(e, project_id=None) if e is read else e for e in events]
        renamed = replace(read, details=read.details.replace("p-shop", "p-billing"))
        rehomed = [replace(renamed, project_id="p-billing") if e is read else e for e in events]
        into = [replace(e, project_id="p-shop") if e is login else e for e in events]
        assert verify_chain(moved) == verify_chain(out) == read.seq
        assert verify_chain(into) == login.seq
        assert verify_chain(rehomed) == old_verify(rehomed) == read.seq
        # ...while the project of an event from before, whose details do not say, is covered
        # by no hash: the migration's finding (docs/design.md).
        assert (
            verify_chain([replace(e, project_id=None) if e is old else e for e in events]) is None
        )
        assert verify_chain([replace(e, project_id="p-shop") for e in events[:-2]]) is None
    finally:
        engine.dispose()


def _downgraded_to_0011(engine: Engine) -> None:
    """Migration 0012 undone (its ``downgrade``, as an operator would run Alembic by hand)."""
    config = _config()
    with engine.connect() as connection, connection.begin():
        config.attributes["connection"] = connection
        command.downgrade(config, "0011")


def test_upgrading_to_0012_again_keeps_the_project_each_new_events_details_name(
    database: str,
) -> None:
    """A database migrated to 0012, taken back to 0011 and migrated again: the events appended
    at 0012 name their project (or none) in their hashed details, and the column takes that,
    not the target's guess: a token's event keeps its project (the guess leaves tokens' events
    the workspace's), a workspace event whose target looks like a project keeps none."""
    engine = _migrated(database)
    try:
        with Session(engine) as session, session.begin():
            call = Call(session, Actor("admin"))
            append_event(
                call, workspace_id="w", action="token.create", target="deploy", project_id="p-shop"
            )
            append_event(call, workspace_id="w", action="member.grant", target="billing/prod")
        before = _chain(engine, "w")
        _downgraded_to_0011(engine)
        upgrade(engine)
        after = _chain(engine, "w")

        assert [e.project_id for e in after[-2:]] == ["p-shop", None]
        assert [e.project_id for e in after] == [e.project_id for e in before]
        assert verify_chain(after) is None
    finally:
        engine.dispose()


def test_the_migration_adds_no_index_for_projects(database: str) -> None:
    """Every request appends an event: a project admin's rare, paged read filters along the
    (workspace_id, seq) unique index instead of each append writing one more index page."""
    engine = _migrated(database)
    try:
        inspector = inspect(engine)
        indexed = [list(i["column_names"]) for i in inspector.get_indexes("audit_events")]
        indexed += [
            list(u["column_names"]) for u in inspector.get_unique_constraints("audit_events")
        ]
        assert all("project_id" not in columns for columns in indexed), indexed
        assert ["workspace_id", "seq"] in indexed
    finally:
        engine.dispose()


EVENTS = 3000


def test_a_projects_pages_of_a_trail_of_thousands_of_events(store: Store, owner: Owner) -> None:
    """`list_events` of a project, paged forward and the newest page, on a trail where its
    events are a third of thousands: each page holds exactly its events, in chain order."""
    workspace = owner.workspace_id
    ids = {"shop": "a-shop", "billing": "a-billing"}

    def trail(call: Call) -> None:
        for name, made in ids.items():
            call.execute(
                "INSERT INTO projects (id, workspace_id, name, created_at)"
                " VALUES (:id, :ws, :name, :now)",
                {"id": made, "ws": workspace, "name": name, "now": NOW},
            )
        for i in range(EVENTS):
            project = [ids["shop"], ids["billing"], None][i % 3]
            target = {ids["shop"]: "shop/dev", ids["billing"]: "billing/dev"}.get(project or "")
            append_event(
                call,
                workspace_id=workspace,
                action="secrets.read",
                target=target or "owner@local",
                project_id=project,
            )

    store.run(owner.principal_id, trail)
    every = store.run(owner.principal_id, lambda call: _all_events(call, workspace))
    expected = [e.seq for e in every if e.project_id == ids["shop"]]

    found: list[int] = []
    after = 0
    while True:
        page = store.run(
            owner.principal_id,
            lambda call, after=after: list_events(  # type: ignore[misc]
                call, workspace_id=workspace, project="shop", after=after, limit=400
            ),
        )
        assert (page.project, page.project_id) == ("shop", ids["shop"])
        assert {(e.project_id, details_project(e)) for e in page.events} <= {
            (ids["shop"], ids["shop"])
        }
        found += [e.seq for e in page.events]
        if len(page.events) < 400:
            break
        after = page.events[-1].seq
    newest = store.run(
        owner.principal_id,
        lambda call: list_events(
            call, workspace_id=workspace, project="shop", newest=True, limit=250
        ),
    )

    assert len(expected) >= EVENTS // 3
    assert found == expected
    assert [e.seq for e in newest.events] == expected[-250:]
    assert verify_chain(every) is None


def _all_events(call: Call, workspace: str) -> list[EventView]:
    rows = call.session.scalars(
        select(AuditEvent).where(AuditEvent.workspace_id == workspace).order_by(AuditEvent.seq)
    )
    return [event_view(row) for row in rows]
