"""`member reset` of another tenant's principal over the real API on SQLite and PostgreSQL:
it is answered as one that does not exist, whatever its kind, as `member logout` answers it."""

from __future__ import annotations

from tests.authz_support import founding_invite
from tests.test_member_sessions import Team, _accept, _token_in, team

__all__ = ["team"]  # the fixture, shared with test_member_sessions


def test_a_reset_of_another_tenants_token_is_answered_as_an_unknown_principal(
    team: Team,
) -> None:
    carol = _accept(team.client, founding_invite(team.engine, "carol@else.io"), "carol@else.io")
    theirs = "44444444-5555-4666-8777-888888888888"
    _token_in(team, str(carol["token"]), str(carol["workspace_id"]), theirs)
    path = f"/v1/workspaces/{team.workspace}/members/reset"

    answers = [
        team.as_(team.admin, "POST", path, json={"principal_id": who, "role": "read"})
        for who in (theirs, "55555555-6666-4777-8888-999999999999")
    ]

    assert [a.status_code for a in answers] == [404, 404]
    assert answers[0].json()["title"] == answers[1].json()["title"]
    carols = f"/v1/workspaces/{carol['workspace_id']}/members"
    members = team.as_(str(carol["token"]), "GET", carols).json()
    assert theirs in {m["principal"]["id"] for m in members}  # still carol's, untouched
