"""sessions.user_agent: the client a login session was started with

`envkeep session list` and `envkeep member sessions` show each session's client (its
User-Agent, cleaned: `app/session_marks`) beside the address it began from, and when it was
last used (``last_used_at``, a column since 0003 that nothing wrote until now), so that a
stolen session can be told from one's own. Rows made before have no client recorded.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("user_agent", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("user_agent")
