"""`session list` and `member sessions` show when each session was last used and the client
it began with, with the real CLI against a real team server on SQLite and PostgreSQL: bob
tells a desk he has not used for hours from the one he runs the command on, and a read with
the desk's session (a snapshot read: SQLite's group commit) marks it used again, but not
within five minutes of the last mark."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from envkeep import __version__
from envkeep.app.context import aware
from envkeep.store.engine import open_engine
from envkeep.store.models import SessionToken
from tests.cli.test_member_sessions import BOB, _current_session, _team, server
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from pathlib import Path

    from tests.server import TeamServer

__all__ = ["server"]  # the fixture, shared with test_member_sessions

CLIENT = f"envkeep/{__version__} (python {sys.version_info.major}.{sys.version_info.minor};"


def _set_use(server: TeamServer, session_id: str, moment: datetime) -> None:
    engine = open_engine(server.database)
    try:
        with engine.begin() as connection:
            row = SessionToken.id == session_id
            connection.execute(update(SessionToken).where(row).values(last_used_at=moment))
    finally:
        engine.dispose()


def _stored_use(server: TeamServer, session_id: str) -> datetime | None:
    engine = open_engine(server.database)
    try:
        with engine.connect() as connection:
            found = connection.scalar(
                select(SessionToken.last_used_at).where(SessionToken.id == session_id)
            )
    finally:
        engine.dispose()
    return None if found is None else aware(found)


def _row(table: str, session_id: str) -> str:
    return next(line for line in table.splitlines() if line.startswith(session_id[:8]))


def test_bob_tells_an_unused_desk_from_this_machine_and_a_read_marks_the_desk_used(
    server: TeamServer, tmp_path: Path
) -> None:
    admin, bob, shop = _team(server, tmp_path)
    desk = tmp_path / "desk"
    _ok(desk, shop, "login", server.url, "--email", BOB, ENVKEEP_PASSPHRASE="bob passphrase")
    here, there = _current_session(bob, shop), _current_session(desk, shop)
    _set_use(server, there, datetime.now(UTC) - timedelta(hours=3, minutes=1))

    mine = _ok(bob, shop, "session", "list")
    listed = json.loads(_ok(bob, shop, "session", "list", "--json"))
    admins = _ok(admin, shop, "member", "sessions", BOB)
    admins_json = json.loads(_ok(admin, shop, "member", "sessions", BOB, "--json"))

    assert mine.splitlines()[0].split() == [
        "SESSION", "CREATED", "FROM", "LAST", "USED", "CLIENT", "EXPIRES", "THIS", "ONE",
    ]  # fmt: skip
    assert "3h ago" in _row(mine, there)
    assert "< 5m ago" in _row(mine, here)
    assert _row(mine, here).rstrip().endswith("yes")
    assert f"{CLIENT} {sys.platform})"[:39] in _row(mine, there)  # cut to 40 in a table
    for found in (listed, admins_json):
        assert {s["id"]: s["user_agent"] for s in found} == {
            here: f"{CLIENT} {sys.platform})",
            there: f"{CLIENT} {sys.platform})",
        }
        assert all(s["last_used_at"].endswith("Z") for s in found)
    assert "3h ago" in _row(admins, there)

    assert _ok(desk, shop, "get", "KEY", "--env", "prod") == "value\n"
    marked = _stored_use(server, there)
    assert marked is not None
    assert datetime.now(UTC) - marked < timedelta(minutes=1)
    assert "< 5m ago" in _row(_ok(bob, shop, "session", "list"), there)

    assert _ok(desk, shop, "get", "KEY", "--env", "prod") == "value\n"
    assert _stored_use(server, there) == marked  # within five minutes: not written again
