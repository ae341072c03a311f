"""server_secrets: random keys a deployment keeps, made once

The fake KDF salt `prelogin` gives an unknown email is an HMAC under a key of the deployment.
That key was a hash of the database URL, which holds the database password: one answer of the
unauthenticated prelogin route let anyone test guesses at the password offline, and anyone who
guessed the URL tell real accounts from unknown ones. The key is now random, made here once
and shared by every server process on the database.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "server_secrets",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.LargeBinary(length=64), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_server_secrets")),
    )
    op.bulk_insert(table, [{"name": "prelogin", "value": secrets.token_bytes(32)}])


def downgrade() -> None:
    op.drop_table("server_secrets")
