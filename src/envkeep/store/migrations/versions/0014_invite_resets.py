"""invites.resets: an invite that gives an account whose keys an admin voided new key pairs

`envkeep member reset EMAIL` (app/account_reset) voids an account's key pairs and wrapped
keys and makes a one-time code for the same account; `envkeep join URL CODE` with that code
registers new keys for it (its id, and so its audit history, kept). Any other invite to an
existing account is refused at `join` as before ("an account for EMAIL exists"): only an
invite marked here replaces an account's keys. Rows made before are not resets.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invites") as batch:
        batch.add_column(
            sa.Column("resets", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("invites") as batch:
        batch.drop_column("resets")
