"""A grant or a join that gives a role back to an account holding none logs its other
sessions out (`left_accounts`), and counts and ends the live ones only, as `member logout`
and `account passphrase` do: an expired session is refused already, and was counted and
"ended" a second time. Over the real API on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from envkeep.store.models import SessionToken
from tests.test_member_sessions import Team, _events, _invite, _login, team

__all__ = ["team"]  # the fixture, shared with test_member_sessions


def _current_id(team: Team, token: str) -> str:
    mine = team.as_(token, "GET", "/v1/sessions").json()
    return str(next(s["id"] for s in mine if s["current"]))


def _expire(team: Team, session_id: str) -> None:
    with team.engine.begin() as connection:
        connection.execute(
            update(SessionToken)
            .where(SessionToken.id == session_id)
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )


def _revoked_at(team: Team, session_id: str) -> datetime | None:
    with team.engine.connect() as connection:
        found = select(SessionToken.revoked_at).where(SessionToken.id == session_id)
        return connection.execute(found).scalar_one()


def _remove_bob(team: Team) -> None:
    path = f"/v1/workspaces/{team.workspace}/members/remove"
    removed = team.as_(team.admin, "POST", path, json={"principal_id": team.bob})
    assert removed.status_code == 200, removed.text


def test_a_grant_to_a_former_member_counts_the_live_sessions_it_ended_not_expired_ones(
    team: Team,
) -> None:
    _login(team.client, "bob@keep.io")  # live, beside the join's session
    stale = _current_id(team, _login(team.client, "bob@keep.io"))
    _expire(team, stale)
    _remove_bob(team)

    grant = {"principal_id": team.bob, "role": "read", "shares": []}
    path = f"/v1/workspaces/{team.workspace}/members/grant"
    answer = team.as_(team.admin, "POST", path, json=grant)

    assert answer.status_code == 200, answer.text
    assert _events(team, "member.grant")[-1]["sessions_ended"] == 2
    assert _revoked_at(team, stale) is None  # it ended when it expired, and stays so


def test_a_join_by_a_former_member_counts_the_live_sessions_it_ended_not_expired_ones(
    team: Team,
) -> None:
    stale = _current_id(team, _login(team.client, "bob@keep.io"))
    _expire(team, stale)
    _remove_bob(team)
    joining = _login(team.client, "bob@keep.io")  # a new laptop: this session stays
    code = _invite(team, team.admin, team.workspace, "bob@keep.io")

    answer = team.as_(joining, "POST", "/v1/invites/join", json={"code": code})

    assert answer.status_code == 201, answer.text
    assert _events(team, "invite.accept")[-1]["sessions_ended"] == 1  # the first join's
    assert _revoked_at(team, stale) is None
    assert team.as_(joining, "GET", "/v1/whoami").status_code == 200
