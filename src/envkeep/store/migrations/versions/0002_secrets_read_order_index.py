"""secrets: an index in the order an environment is read

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_secrets_environment_order", "secrets", ["environment_id", "created_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_secrets_environment_order", table_name="secrets")
