"""Edges of `member sessions` and `member logout` over the real API on SQLite and PostgreSQL:
another tenant's principal is answered as one that does not exist, whatever its kind; a
refused listing says it is the listing that is refused; a logout counts the sessions it ended,
the live ones the listing showed, not the expired ones beside them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import text

from envkeep.app import credentials
from tests.authz_support import founding_invite
from tests.test_member_sessions import Team, _accept, _events, _invite, _login, _token_in, team

if TYPE_CHECKING:
    from typing import Any

__all__ = ["team"]  # the fixture, shared with test_member_sessions


def _answer(team: Team, method: str, principal_id: str) -> tuple[int, str]:
    path = team.sessions_of(principal_id)
    answer = (
        team.as_(team.admin, "GET", path)
        if method == "GET"
        else team.as_(team.admin, "POST", f"{path}/end", json={})
    )
    body: dict[str, Any] = answer.json()
    return answer.status_code, str(body["title"])


def test_another_tenants_token_is_answered_as_a_principal_that_does_not_exist(
    team: Team,
) -> None:
    carol = _accept(team.client, founding_invite(team.engine, "carol@else.io"), "carol@else.io")
    theirs = "22222222-3333-4444-8555-666666666666"
    _token_in(team, str(carol["token"]), str(carol["workspace_id"]), theirs)
    nobody = "33333333-4444-4555-8666-777777777777"

    for method in ("GET", "POST"):
        assert _answer(team, method, theirs) == _answer(team, method, nobody)
        assert _answer(team, method, theirs)[0] == 404
    assert _events(team, "member.logout") == []


def test_a_refused_listing_says_the_sessions_cannot_be_seen_not_ended(team: Team) -> None:
    carol = _accept(team.client, founding_invite(team.engine, "carol@else.io"), "carol@else.io")
    code = _invite(team, str(carol["token"]), str(carol["workspace_id"]), "bob@keep.io")
    bob = _login(team.client, "bob@keep.io")
    assert team.as_(bob, "POST", "/v1/invites/join", json={"code": code}).status_code == 201

    listed = team.as_(team.admin, "GET", team.sessions_of(team.bob))
    ended = team.as_(team.admin, "POST", f"{team.sessions_of(team.bob)}/end", json={})

    assert listed.status_code == ended.status_code == 403
    assert "cannot see the sessions of" in listed.json()["title"]
    assert "envkeep session list" in listed.json()["hint"]
    assert "cannot end the sessions of" in ended.json()["title"]


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
    assert answer.json() == {"ended": 1, "elsewhere": False}
    [event] = _events(team, "member.logout")
    assert event["sessions_ended"] == 1
    assert team.as_(live, "GET", "/v1/whoami").status_code == 401
