"""role_bindings: one role per principal and scope, workspace-wide roles included

The unique constraint on (principal, workspace, project, environment) treats NULLs as
distinct, so two workspace-wide roles of one principal (project and environment NULL) could
both be stored: two joins racing on PostgreSQL did it. An index on the scope with NULL read as
'' makes them one. A principal holding two roles at one scope keeps the stronger (the one the
policy already used).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# A row goes when another at its scope holds a stronger role, or the same role with a lower id.
_DUPLICATES = """
DELETE FROM role_bindings WHERE EXISTS (
    SELECT 1 FROM role_bindings AS other
    WHERE other.principal_id = role_bindings.principal_id
    AND other.workspace_id = role_bindings.workspace_id
    AND coalesce(other.project_id, '') = coalesce(role_bindings.project_id, '')
    AND coalesce(other.environment_id, '') = coalesce(role_bindings.environment_id, '')
    AND (
        CASE other.role WHEN 'admin' THEN 3 WHEN 'write' THEN 2 ELSE 1 END
        > CASE role_bindings.role WHEN 'admin' THEN 3 WHEN 'write' THEN 2 ELSE 1 END
        OR (other.role = role_bindings.role AND other.id < role_bindings.id)
    )
)
"""


def upgrade() -> None:
    op.execute(_DUPLICATES)
    op.create_index(
        "uq_role_bindings_scope",
        "role_bindings",
        [
            "principal_id",
            "workspace_id",
            sa.func.coalesce(sa.text("project_id"), ""),
            sa.func.coalesce(sa.text("environment_id"), ""),
        ],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_role_bindings_scope", table_name="role_bindings")
