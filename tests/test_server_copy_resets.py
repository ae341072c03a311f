"""`envkeep server copy` carries an open reset code (`member reset`, migration 0014's
``invites.resets``) into PostgreSQL as a reset: copied as a plain invite, the person's `join`
would be refused "an account exists" and the reset left with no way back."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select, update

from envkeep.api.serve import bootstrap, migrate
from envkeep.api.server_copies import copy_server
from envkeep.store.engine import open_engine
from envkeep.store.models import Invite

if TYPE_CHECKING:
    from pathlib import Path

    from tests.pg import PostgresServer


def _resets(database: str) -> list[bool]:
    engine = open_engine(database)
    try:
        with engine.connect() as connection:
            return list(connection.execute(select(Invite.resets)).scalars())
    finally:
        engine.dispose()


def test_a_reset_code_copied_into_postgresql_is_still_a_reset(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    source = f"sqlite:///{tmp_path / 'server.db'}"
    migrate(source)
    bootstrap(source, "admin@resets.io")
    engine = open_engine(source)
    try:
        with engine.begin() as connection:
            connection.execute(update(Invite).values(resets=True))
    finally:
        engine.dispose()
    target = postgres.create_database()
    try:
        copy_server(source, target)
        copied = _resets(target)
    finally:
        postgres.drop_database(target)

    assert _resets(source) == [True]
    assert copied == [True]
