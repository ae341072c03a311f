"""Edges of `member sessions` and `member logout` over the real API on SQLite and PostgreSQL:
a logout counts the sessions it ended, the live ones the listing showed, not the expired ones
beside them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from envkeep.app import credentials
from tests.test_member_sessions import Team, _events, _login, team

__all__ = ["team"]  # the fixture, shared with test_member_sessions


def test_a_logout_counts_the_live_sessions_it_ended_not_expired_ones(team: Team) -> None:
    live = _login(team.client, "bob@keep.io")
    for _ in range(2):
        _login(team.client, "bob@keep.io")
    past = datetime.now(UTC) - timedelta(hours=1)
    with team.engine.begin() as connection:  # two of bob's three sessions ran out
        connection.execute(
            text(
                "UPDATE sessions SET expires_at = :past WHERE principal_id = :p AND token_hash"
                " != :kept"
            ),
            {"past": past, "p": team.bob, "kept": credentials.token_hash(live)},
        )
    listed = team.as_(team.admin, "GET", team.sessions_of(team.bob)).json()

    answer = team.as_(team.admin, "POST", f"{team.sessions_of(team.bob)}/end", json={})

    assert len(listed) == 1
    assert answer.json() == {"ended": 1}
    [event] = _events(team, "member.logout")
    assert event["sessions_ended"] == 1
    assert team.as_(live, "GET", "/v1/whoami").status_code == 401
