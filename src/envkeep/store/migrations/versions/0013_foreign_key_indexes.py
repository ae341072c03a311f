"""An index for every foreign key that had none

A foreign key whose columns lead no index made the database walk the whole referencing table
wherever the reference is followed backwards: removing a service scanned every secret of every
environment for its service-scoped ones (PostgreSQL's cascade, SQLite's too), deleting an
environment scanned the role bindings, invites and ended roles, and a login looked up its user's
sessions by reading them all. Each such column gets an index of its own here, named as the
models name them; a test keeps every foreign key covered from now on.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# (table, column): each foreign key no primary key, unique constraint or index led with.
_UNCOVERED = (
    ("data_key_shares", "recipient_id"),
    ("data_key_shares", "sharer_id"),
    ("ended_roles", "workspace_id"),
    ("ended_roles", "project_id"),
    ("ended_roles", "environment_id"),
    ("invites", "workspace_id"),
    ("invites", "project_id"),
    ("invites", "environment_id"),
    ("role_bindings", "workspace_id"),
    ("role_bindings", "project_id"),
    ("role_bindings", "environment_id"),
    ("secret_versions", "author_id"),
    ("secrets", "service_id"),
    ("sessions", "principal_id"),
)


def upgrade() -> None:
    for table, column in _UNCOVERED:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column])


def downgrade() -> None:
    for table, column in reversed(_UNCOVERED):
        op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)
