"""Work that must not run twice at once, queued on a PostgreSQL advisory lock held until the
transaction ends (at READ COMMITTED, two such transactions would each miss the other's rows).
SQLite needs none: its writers queue on BEGIN IMMEDIATE already."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Connection


def queue_on(connection: Connection, key: int) -> None:
    """Wait, on PostgreSQL, until no other transaction holds lock ``key``; hold it to the end
    of this one."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({int(key)})")
