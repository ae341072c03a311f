"""audit_events.project_id: the project an event's target lies in

A project's admin reads that project's events (`app/audit`), so each event records its project
by id: events name their target by name, and a name read back from the trail (an environment
renamed since, a token named like a project) cannot say reliably which project it was. Events
appended from now on record it here and in their details, which their hash covers
(`app/audit_append`, `core/auditchain`). Events appended before are filled in here where their
target says it beyond doubt, their details and hash as they were (their hash does not cover
the project, so `audit verify` still holds): an event whose target starts with
a project's name (``shop``, ``shop/prod``: project, service, environment and secrets events,
role grants and revocations on a project, a refused request whose route named a project) and
an invite's events (their details name the project). Projects are never renamed nor deleted,
so a name read here is the project's still. Left NULL, read as the workspace's own: a name
two projects could match (an old name with a ``/`` in it), a role change whose target is the
bare word ``workspace`` (an older form of a workspace-wide grant), and token events (their
target is the token's name; the roles it held may have changed since). An event whose details
name its project (appended at 0012 or later, in a database taken back to 0011 and migrated
again) gets the project they name, or none.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# The target names the project first (``shop``, ``shop/prod``): project, service, environment
# and secrets events (`app/*`'s append_event calls); a role's grant or revocation, unless it is
# workspace-wide (``workspace NAME``, or the bare word before that form); a refusal whose route
# named a project. Filled in when exactly one project's name is the target or starts it, with a
# slash after it. Refusals are filled in by `_backfill_refusals`.
_BACKFILL = """
UPDATE audit_events SET project_id = (
    SELECT p.id FROM projects p
    WHERE p.workspace_id = audit_events.workspace_id
    AND (audit_events.target = p.name
        OR substr(audit_events.target, 1, length(p.name) + 1) = p.name || '/')
)
WHERE (
    action IN (
        'project.create', 'service.add', 'service.remove', 'environment.create',
        'environment.delete', 'environment.update', 'environment.share',
        'environment.rotate_key', 'secrets.read', 'secrets.write', 'secrets.history'
    )
    OR (action IN ('member.grant', 'member.revoke')
        AND target <> 'workspace' AND target NOT LIKE 'workspace %')
)
AND (
    SELECT count(*) FROM projects p
    WHERE p.workspace_id = audit_events.workspace_id
    AND (audit_events.target = p.name
        OR substr(audit_events.target, 1, length(p.name) + 1) = p.name || '/')
) = 1
"""
_INVITES = ("member.invite", "invite.withdraw")  # the project's name in their details


def upgrade() -> None:
    # No index of its own: every request appends an event, and an index is one more page written
    # on each; a project admin's read, rare and paged, filters the rows the (workspace_id, seq)
    # unique index walks in chain order (docs/design.md).
    op.add_column("audit_events", sa.Column("project_id", sa.String(length=36), nullable=True))
    bind = op.get_bind()
    bind.execute(sa.text(_BACKFILL))
    _backfill_invites(bind)
    _backfill_refusals(bind)
    _said_in_details(bind)


def _backfill_invites(bind: sa.Connection) -> None:
    """An invite's events, by the project name their details hold (few rows: read here)."""
    projects = {
        (workspace, name): project
        for project, workspace, name in bind.execute(
            sa.text("SELECT id, workspace_id, name FROM projects")
        )
    }
    rows = bind.execute(
        sa.text(
            "SELECT id, workspace_id, details FROM audit_events WHERE action IN :actions"
        ).bindparams(sa.bindparam("actions", expanding=True)),
        {"actions": list(_INVITES)},
    )
    found = []
    for event, workspace, details in rows:
        try:
            name = json.loads(details).get("project")
        except (ValueError, AttributeError):
            continue
        if isinstance(name, str) and (workspace, name) in projects:
            found.append({"id": event, "project": projects[workspace, name]})
    if found:
        bind.execute(sa.text("UPDATE audit_events SET project_id = :project WHERE id = :id"), found)


def _backfill_refusals(bind: sa.Connection) -> None:
    """A refusal whose route named a project, by its target as above, but only a project that
    existed when it was refused: a probe of a name made a project later is the workspace's, as
    `record_denied` files it now (times compared here: the event's is text, the project's a
    timestamp, which the two databases would compare differently)."""
    projects: dict[str, list[tuple[str, str, datetime]]] = {}
    for project, workspace, name, created in bind.execute(
        sa.text("SELECT id, workspace_id, name, created_at FROM projects")
    ):
        projects.setdefault(workspace, []).append((project, name, _moment(created)))
    rows = bind.execute(
        sa.text(
            "SELECT id, workspace_id, target, at FROM audit_events"
            " WHERE action = 'request.denied' AND details LIKE '%/projects/{project}%'"
        )
    )
    found = []
    for event, workspace, target, at in rows:
        refused = _moment(at)
        named = [
            project
            for project, name, created in projects.get(workspace, [])
            if (target == name or target.startswith(f"{name}/")) and created <= refused
        ]
        if len(named) == 1:
            found.append({"id": event, "project": named[0]})
    if found:
        bind.execute(sa.text("UPDATE audit_events SET project_id = :project WHERE id = :id"), found)


def _said_in_details(bind: sa.Connection) -> None:
    """Events appended by an envkeep of this schema or later, in a database taken back to
    0011 and migrated again: their details name their project, null for the workspace's own,
    and their hash covers that, so the column takes it rather than the target's guess above
    (which left a token's event the workspace's, and `audit verify` then broke the chain at
    it). A trail that never reached 0012 has no such event."""
    rows = bind.execute(
        sa.text("SELECT id, details FROM audit_events WHERE details LIKE '%\"project_id\"%'")
    )
    found = []
    for event, details in rows:
        try:
            said = json.loads(details)
        except ValueError:
            continue
        project = said.get("project_id", "") if isinstance(said, dict) else ""
        if project is None or (isinstance(project, str) and project):
            found.append({"id": event, "project": project})
    if found:
        bind.execute(sa.text("UPDATE audit_events SET project_id = :project WHERE id = :id"), found)


def _moment(value: object) -> datetime:
    """A time as either database gives it back (a datetime, or SQLite's text), in UTC."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def downgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("project_id")
