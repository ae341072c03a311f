"""workspaces: names are no longer unique across the server

Workspaces are tenants, and a name unique across all of them let anyone with an account learn
whether another tenant had taken a name (`workspace create acme` refused it). A name is now
unique among the workspaces one member belongs to, which the use case checks; the API names
workspaces by id anyway.

SQLite drops a table's UNIQUE only by rebuilding the table, and dropping `workspaces` with
foreign keys on would delete every project, member and event with it: ``store.migrate.upgrade``
runs migrations with SQLite's foreign keys off and checks them before it commits.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_constraint("uq_workspaces_name", type_="unique")


def downgrade() -> None:
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_workspaces_name", ["name"])
