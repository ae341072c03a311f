"""Two `member logout`s of one member at once on PostgreSQL (two admins, or one clicking
twice): the second waits on the first's locked rows, then finds them ended and ends nothing.
It re-ended them (their end moved to its own time) and counted them again, so the trail said
twice as many sessions ended as the member had. SQLite runs one writer at a time: the second
starts after the first committed, and needs no test of its own."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from envkeep.app.context import Call
from envkeep.app.member_sessions import end_member_sessions
from envkeep.app.ports import Actor
from envkeep.store.models import AuditEvent, Principal, SessionToken
from tests.test_last_admin_race import until_waiting
from tests.test_member_sessions import Team, _login, team

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.engine import Engine

__all__ = ["team"]  # the fixture, shared with test_member_sessions


def _ends(engine: Engine, principal_id: str) -> list[datetime | None]:
    with Session(engine) as session:
        found = select(SessionToken.revoked_at).where(SessionToken.principal_id == principal_id)
        return list(session.scalars(found.order_by(SessionToken.id)))


def test_a_second_logout_at_once_ends_and_counts_nothing(team: Team) -> None:
    if team.engine.dialect.name == "sqlite":
        pytest.skip("SQLite runs one writer at a time")
    _login(team.client, "bob@keep.io")
    with Session(team.engine) as session:
        admin = session.scalars(select(Principal.id).where(Principal.name == "admin@keep.io"))
        caller = Actor(admin.one())
    counts: list[int] = []

    def logout(session: Session) -> None:
        counts.append(
            end_member_sessions(
                Call(session, caller), workspace_id=team.workspace, principal_id=team.bob
            ).ended
        )

    def second() -> None:
        with Session(team.engine) as session, session.begin():
            logout(session)

    with Session(team.engine) as first:
        with first.begin():
            logout(first)
            later = threading.Thread(target=second)
            later.start()
            until_waiting(team.engine, 1)  # the second logout waits on the first
        ends = _ends(team.engine, team.bob)
    later.join(30)

    assert counts == [2, 0]  # the join's session and the login, once
    assert _ends(team.engine, team.bob) == ends  # the first logout's end, kept
    with Session(team.engine) as session:
        found = select(AuditEvent.details).where(AuditEvent.action == "member.logout")
        logged = list(session.scalars(found.order_by(AuditEvent.seq)))
    assert ['"sessions_ended": 2' in e for e in logged] == [True, False]
