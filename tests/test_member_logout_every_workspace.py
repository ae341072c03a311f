"""`member logout` of a member of several workspaces (all the caller's: it may only then) is in
the trail of each: the sessions are the account's, so the member was logged out of each, and
another admin of a second workspace, reading their own trail, learns it as they learn of a
refused login. The caller's workspace still gets exactly one event, and every chain holds.
Over the real API on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from envkeep.app.audit import event_view, verify_chain
from envkeep.store.models import AuditEvent
from tests.test_member_sessions import Team, _accept, _invite, _login, team

if TYPE_CHECKING:
    from typing import Any

__all__ = ["team"]  # the fixture, shared with test_member_sessions


def _logouts_read_by(team: Team, token: str, workspace: str) -> list[dict[str, Any]]:
    page = team.as_(token, "GET", f"/v1/workspaces/{workspace}/audit")
    assert page.status_code == 200, page.text
    return [e for e in page.json()["events"] if e["action"] == "member.logout"]


def _chain(team: Team, workspace: str) -> list[AuditEvent]:
    with Session(team.engine) as session:
        found = select(AuditEvent).where(AuditEvent.workspace_id == workspace)
        return list(session.scalars(found.order_by(AuditEvent.seq)))


def _second_workspace_with_bob_and_eve(team: Team) -> tuple[str, str]:
    """The admin's workspace "tools", bob a reader there too, eve its other admin (and in no
    other workspace): (its id, eve's session)."""
    made = team.as_(team.admin, "POST", "/v1/workspaces", json={"name": "tools"})
    assert made.status_code == 201, made.text
    tools = str(made.json()["id"])
    bob = _login(team.client, "bob@keep.io")
    code = _invite(team, team.admin, tools, "bob@keep.io")
    assert team.as_(bob, "POST", "/v1/invites/join", json={"code": code}).status_code == 201
    eve = _accept(
        team.client, _invite(team, team.admin, tools, "eve@keep.io", "admin"), "eve@keep.io"
    )
    return tools, str(eve["token"])


def test_a_logout_is_in_the_trail_of_every_workspace_of_the_member(team: Team) -> None:
    tools, eve = _second_workspace_with_bob_and_eve(team)
    before = len(_chain(team, team.workspace))

    answer = team.as_(team.admin, "POST", f"{team.sessions_of(team.bob)}/end", json={})

    assert answer.json() == {"ended": 2, "elsewhere": True}  # the first join's and the login
    assert len(_chain(team, team.workspace)) == before + 1
    [here] = _logouts_read_by(team, team.admin, team.workspace)
    [there] = _logouts_read_by(team, eve, tools)  # eve administers tools only, and sees it
    for event in (here, there):
        assert event["target"] == "bob@keep.io"
        assert '"sessions_ended": 2' in event["details"]
    assert here["details"] == there["details"]
    for workspace in (team.workspace, tools):
        assert verify_chain([event_view(e) for e in _chain(team, workspace)]) is None


def test_a_logout_of_one_session_names_it_in_every_workspace_of_the_member(team: Team) -> None:
    tools, eve = _second_workspace_with_bob_and_eve(team)
    stolen = _login(team.client, "bob@keep.io")
    mine = team.as_(stolen, "GET", "/v1/sessions").json()
    stolen_id = next(s["id"] for s in mine if s["current"])

    answer = team.as_(
        team.admin, "POST", f"{team.sessions_of(team.bob)}/end", json={"session_id": stolen_id}
    )

    assert answer.json() == {"ended": 1, "elsewhere": True}
    for token, workspace in ((team.admin, team.workspace), (eve, tools)):
        [event] = _logouts_read_by(team, token, workspace)
        assert stolen_id in event["details"]


def test_a_logout_of_a_member_of_one_workspace_writes_in_no_other(team: Team) -> None:
    tools, _eve = _second_workspace_with_bob_and_eve(team)
    carl = _accept(
        team.client, _invite(team, team.admin, team.workspace, "carl@keep.io"), "carl@keep.io"
    )
    before = len(_chain(team, tools))

    path = f"/v1/workspaces/{team.workspace}/members/{carl['principal_id']}/sessions/end"
    answer = team.as_(team.admin, "POST", path, json={})

    assert answer.json() == {"ended": 1, "elsewhere": False}
    assert len(_chain(team, tools)) == before
    assert len(_logouts_read_by(team, team.admin, team.workspace)) == 1
