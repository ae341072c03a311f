"""ended_roles: the roles a revoked token held

Revoking a service account drops its role bindings (the token can do nothing), which left
`token list` unable to say what a revoked token could do, or to show it to the project's admin
who manages the project's tokens. The roles it held when it ended are kept here. Tokens revoked
before this migration keep none (their bindings are gone).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _reference(column: str, table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{table}.id"],
        name=op.f(f"fk_ended_roles_{column}_{table}"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "ended_roles",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("principal_id", sa.String(length=36), nullable=False),
        sa.Column("workspace_id", sa.String(length=36), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=True),
        sa.Column("environment_id", sa.String(length=36), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        _reference("principal_id", "principals"),
        _reference("workspace_id", "workspaces"),
        _reference("project_id", "projects"),
        _reference("environment_id", "environments"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ended_roles")),
    )
    op.create_index(op.f("ix_ended_roles_principal_id"), "ended_roles", ["principal_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_ended_roles_principal_id"), table_name="ended_roles")
    op.drop_table("ended_roles")
