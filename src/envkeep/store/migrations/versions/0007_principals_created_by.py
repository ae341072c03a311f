"""principals: who created a service account

A token lives only while its creator holds a role in its workspace (DESIGN §5: a token holds a
subset of its creator's rights), and `token list` names the creator; both need it stored on
the account, where it outlives the account's roles. Existing accounts take the creator of
their oldest role (the role they were made with); one with no role left keeps none.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_CREATORS = """
UPDATE principals SET created_by = (
    SELECT b.created_by FROM role_bindings AS b
    WHERE b.principal_id = principals.id
    ORDER BY b.created_at, b.id
    LIMIT 1
)
WHERE kind = 'service'
"""


def upgrade() -> None:
    with op.batch_alter_table("principals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("created_by", sa.String(length=36), nullable=True))
    op.execute(_CREATORS)


def downgrade() -> None:
    with op.batch_alter_table("principals", schema=None) as batch_op:
        batch_op.drop_column("created_by")
