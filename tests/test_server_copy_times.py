"""`envkeep server copy` keeps every time the instant it was: SQLite gives times back without
a zone, and a PostgreSQL session in another zone than UTC would read them as its own."""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING
from urllib.parse import quote

from sqlalchemy import select

from envkeep.api.serve import bootstrap, migrate
from envkeep.api.server_copies import copy_server
from envkeep.store.engine import open_engine
from envkeep.store.models import Invite

if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path

    from tests.pg import PostgresServer


def _invite_times(database: str) -> tuple[datetime, datetime]:
    engine = open_engine(database)
    try:
        with engine.connect() as connection:
            row = connection.execute(select(Invite.created_at, Invite.expires_at)).one()
    finally:
        engine.dispose()
    return row[0], row[1]


def test_times_copied_into_a_postgresql_session_not_on_utc_keep_their_instant(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    source = f"sqlite:///{tmp_path / 'server.db'}"
    migrate(source)
    bootstrap(source, "admin@times.io")  # an invite: made now, expiring in 24 hours
    target = postgres.create_database()
    in_tokyo = f"{target}?options={quote('-c timezone=Asia/Tokyo')}"
    try:
        copy_server(source, in_tokyo)
        copied = _invite_times(target)
    finally:
        postgres.drop_database(target)
    made, expires = _invite_times(source)

    assert made.tzinfo is None  # SQLite's: UTC, without a zone
    assert copied == (made.replace(tzinfo=UTC), expires.replace(tzinfo=UTC))
