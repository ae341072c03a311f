"""Migration 0015 (``sessions.user_agent``) on SQLite and PostgreSQL: a session made before
it keeps working, its client unknown (None) and its last use as it was; taken back to 0014
(its ``downgrade``, as an operator runs Alembic by hand) and migrated again, every session
stays."""

from __future__ import annotations

from typing import TYPE_CHECKING

from alembic import command
from sqlalchemy import inspect, text

from envkeep.store.engine import open_engine
from envkeep.store.migrate import _config, upgrade

if TYPE_CHECKING:
    from sqlalchemy import Engine

_PRINCIPAL = (
    "INSERT INTO principals (id, kind, name, encryption_public, signing_public, created_at)"
    " VALUES ('p', 'user', 'ann@keep.io', :key, :key, '2026-12-01 00:00:00')"
)
_SESSION = (
    "INSERT INTO sessions (id, principal_id, token_hash, kind, created_at, last_used_at)"
    " VALUES (:id, 'p', :hash, 'session', '2026-12-01 00:00:00', '2026-12-02 00:00:00')"
)


def _downgraded_to_0014(engine: Engine) -> None:
    config = _config()
    with engine.connect() as connection, connection.begin():
        config.attributes["connection"] = connection
        command.downgrade(config, "0014")


def _clients(engine: Engine) -> dict[str, str | None]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, user_agent FROM sessions ORDER BY id"))
        return {str(i): a for i, a in rows}


def test_sessions_from_before_0015_have_no_client_and_a_downgrade_keeps_every_session(
    database: str,
) -> None:
    engine = open_engine(database)
    try:
        upgrade(engine, "0014")
        with engine.begin() as connection:
            connection.execute(text(_PRINCIPAL), {"key": b"k" * 32})
            connection.execute(text(_SESSION), {"id": "s-old", "hash": "a"})
        upgrade(engine)
        assert _clients(engine) == {"s-old": None}
        with engine.begin() as connection:
            connection.execute(text(_SESSION), {"id": "s-new", "hash": "b"})
            connection.execute(
                text("UPDATE sessions SET user_agent = 'envkeep/0.2.0' WHERE id = 's-new'")
            )
        assert _clients(engine) == {"s-old": None, "s-new": "envkeep/0.2.0"}

        _downgraded_to_0014(engine)
        columns = {c["name"] for c in inspect(engine).get_columns("sessions")}
        assert "user_agent" not in columns
        assert {"created_from", "last_used_at"} <= columns  # the table is the same otherwise
        upgrade(engine)
        assert _clients(engine) == {"s-old": None, "s-new": None}
    finally:
        engine.dispose()
