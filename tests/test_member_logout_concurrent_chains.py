"""Two admins' `member logout`s at once, of two members of the same two workspaces, on SQLite
and PostgreSQL: each logout appends to both workspaces' chains, locking their rows in one
order (workspace id) whichever workspace it was asked in, so neither waits on the other for
ever (PostgreSQL ended one as a deadlock when the caller's own came first) and both chains
still verify, with every logout in each."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from envkeep.app.audit import event_view, verify_chain
from envkeep.app.context import Call
from envkeep.app.member_sessions import end_member_sessions
from envkeep.app.ports import Actor
from envkeep.store.models import AuditEvent, Principal
from tests.test_member_sessions import Team, _accept, _invite, _login, team

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.engine import Engine

__all__ = ["team"]  # the fixture, shared with test_member_sessions

ROUNDS = 8


def _id_of(engine: Engine, email: str) -> str:
    with Session(engine) as session:
        return str(session.scalars(select(Principal.id).where(Principal.name == email)).one())


def _chain(engine: Engine, workspace: str) -> list[AuditEvent]:
    with Session(engine) as session:
        found = select(AuditEvent).where(AuditEvent.workspace_id == workspace)
        return list(session.scalars(found.order_by(AuditEvent.seq)))


def _joined(team: Team, token: str, workspace: str, email: str, role: str = "read") -> None:
    code = _invite(team, team.admin, workspace, email, role)
    answer = team.as_(token, "POST", "/v1/invites/join", json={"code": code})
    assert answer.status_code == 201, answer.text


def _two_workspaces(team: Team) -> str:
    """Workspace "tools" beside the team's: eve admin of both, bob and carl read in both."""
    made = team.as_(team.admin, "POST", "/v1/workspaces", json={"name": "tools"})
    assert made.status_code == 201, made.text
    tools = str(made.json()["id"])
    for email, role in (("eve@keep.io", "admin"), ("carl@keep.io", "read")):
        joined = _accept(team.client, _invite(team, team.admin, team.workspace, email, role), email)
        _joined(team, str(joined["token"]), tools, email, role)
    _joined(team, _login(team.client, "bob@keep.io"), tools, "bob@keep.io")
    return tools


def _logouts(engine: Engine, admin: str, workspace: str, member: str) -> Callable[[], None]:
    """``admin``'s logouts of ``member``, asked in ``workspace``, each in its transaction."""

    def run() -> None:
        with Session(engine) as session, session.begin():
            end_member_sessions(
                Call(session, Actor(admin)), workspace_id=workspace, principal_id=member
            )

    return run


def test_two_logouts_at_once_keep_both_chains_whole(team: Team) -> None:
    tools = _two_workspaces(team)
    engine = team.engine
    admin, eve = _id_of(engine, "admin@keep.io"), _id_of(engine, "eve@keep.io")
    # Each asked in a different workspace: the caller's own is the other's second.
    sides = [
        _logouts(engine, admin, team.workspace, team.bob),
        _logouts(engine, eve, tools, _id_of(engine, "carl@keep.io")),
    ]
    before = {w: len(_chain(engine, w)) for w in (team.workspace, tools)}
    start, failed = threading.Barrier(len(sides)), list[BaseException]()

    def rounds(logout: Callable[[], None]) -> None:
        try:
            for _ in range(ROUNDS):
                start.wait(30)
                logout()
        except Exception as error:  # noqa: BLE001 - the test reports it
            failed.append(error)

    runs = [threading.Thread(target=rounds, args=(side,)) for side in sides]
    for run in runs:
        run.start()
    for run in runs:
        run.join(120)

    assert failed == []
    for workspace in (team.workspace, tools):
        chain = _chain(engine, workspace)
        assert len(chain) == before[workspace] + len(sides) * ROUNDS
        assert verify_chain([event_view(e) for e in chain]) is None
