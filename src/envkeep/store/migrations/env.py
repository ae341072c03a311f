"""Alembic environment: runs on the connection handed over by ``envkeep.store.migrate``."""

from __future__ import annotations

from alembic import context

from envkeep.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached from the alembic command line
    raise RuntimeError("run migrations through envkeep.store.migrate")
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode rebuilds tables
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
