"""Migration 0014 (``invites.resets``) on SQLite and PostgreSQL: an invite made before it is
no reset; taken back to 0013 (its ``downgrade``, as an operator runs Alembic by hand) and
migrated again, the invites stay and none reads as a reset."""

from __future__ import annotations

from typing import TYPE_CHECKING

from alembic import command
from sqlalchemy import inspect, text

from envkeep.store.engine import open_engine
from envkeep.store.migrate import _config, upgrade

if TYPE_CHECKING:
    from sqlalchemy import Engine

_WORKSPACE = "INSERT INTO workspaces (id, name, created_at) VALUES ('w', 'shop', '2026-12-01')"
_INVITE = (
    "INSERT INTO invites (id, workspace_id, email, role, secret_hash, created_at, expires_at)"
    " VALUES (:id, 'w', :email, 'read', :hash, '2026-12-01 00:00:00', '2026-12-04 00:00:00')"
)


def _downgraded_to_0013(engine: Engine) -> None:
    config = _config()
    with engine.connect() as connection, connection.begin():
        config.attributes["connection"] = connection
        command.downgrade(config, "0013")


def _resets(engine: Engine) -> dict[str, bool]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, resets FROM invites ORDER BY id"))
        return {str(i): bool(r) for i, r in rows}


def test_invites_from_before_0014_are_no_resets_and_a_downgrade_keeps_every_invite(
    database: str,
) -> None:
    engine = open_engine(database)
    try:
        upgrade(engine, "0013")
        with engine.begin() as connection:
            connection.execute(text(_WORKSPACE))
            connection.execute(text(_INVITE), {"id": "i-old", "email": "a@m.io", "hash": "a"})
        upgrade(engine)
        assert _resets(engine) == {"i-old": False}
        with engine.begin() as connection:
            connection.execute(text(_INVITE), {"id": "i-reset", "email": "b@m.io", "hash": "b"})
            connection.execute(text("UPDATE invites SET resets = :t WHERE id = 'i-reset'"),
                               {"t": True})  # fmt: skip
        assert _resets(engine) == {"i-old": False, "i-reset": True}

        _downgraded_to_0013(engine)
        columns = {c["name"] for c in inspect(engine).get_columns("invites")}
        assert "resets" not in columns
        assert "key_proof" in columns  # the table is the same otherwise
        upgrade(engine)
        assert _resets(engine) == {"i-old": False, "i-reset": False}
    finally:
        engine.dispose()
