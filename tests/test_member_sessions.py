"""A workspace admin lists and ends a member's login sessions (`member sessions`, `member
logout`) over the real API on SQLite and PostgreSQL: the list shows no token, an ended
session gets the 401 any ended session gets, each ending is one audit event, and the admin's
own account, a token and an account another workspace shares are refused."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from envkeep.api.app import create_app
from envkeep.app import credentials
from tests.authz_support import AUTH_KEY, KEY, b64, founding_invite, joining

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy.engine import Engine


@dataclass(frozen=True)
class Team:
    client: TestClient
    engine: Engine
    workspace: str
    admin: str  # the admin's session token
    bob: str  # bob's id (read, this workspace only)

    def as_(self, token: str, method: str, path: str, **kwargs: Any) -> Any:
        return self.client.request(
            method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs
        )

    def sessions_of(self, principal_id: str) -> str:
        return f"/v1/workspaces/{self.workspace}/members/{principal_id}/sessions"


def _accept(client: TestClient, code: str, email: str) -> dict[str, Any]:
    answer = client.post("/v1/invites/accept", json=joining(code, email))
    assert answer.status_code == 201, answer.text
    found: dict[str, Any] = answer.json()
    return found


def _login(client: TestClient, email: str) -> str:
    answer = client.post("/v1/auth/login", json={"email": email, "auth_key": b64(AUTH_KEY)})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["token"])


def _invite(team: Team, token: str, workspace: str, email: str, role: str = "read") -> str:
    path = f"/v1/workspaces/{workspace}/invites"
    answer = team.as_(token, "POST", path, json={"email": email, "role": role})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["code"])


@pytest.fixture
def team(engine: Engine) -> Iterator[Team]:
    """admin@keep.io (founded the workspace) and bob@keep.io (read), with one session each."""
    url = engine.url.render_as_string(hide_password=False)
    with TestClient(create_app(url, rate=0)) as client:
        admin = _accept(client, founding_invite(engine, "admin@keep.io"), "admin@keep.io")
        workspace = str(admin["workspace_id"])
        partial = Team(client, engine, workspace, str(admin["token"]), "")
        bob = _accept(
            client, _invite(partial, partial.admin, workspace, "bob@keep.io"), "bob@keep.io"
        )
        yield Team(client, engine, workspace, partial.admin, str(bob["principal_id"]))


def _events(team: Team, action: str) -> list[dict[str, Any]]:
    with team.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT target, details FROM audit_events WHERE action = :a ORDER BY seq"),
            {"a": action},
        ).all()
    return [{"target": t, **json.loads(d)} for t, d in rows]


def test_an_admin_lists_a_members_live_sessions_and_no_token(team: Team) -> None:
    second = _login(team.client, "bob@keep.io")
    team.as_(_login(team.client, "bob@keep.io"), "POST", "/v1/auth/logout")  # ended: not listed

    answer = team.as_(team.admin, "GET", team.sessions_of(team.bob))

    assert answer.status_code == 200, answer.text
    listed = answer.json()
    assert len(listed) == 2
    assert {tuple(sorted(s)) for s in listed} == {
        ("created_at", "created_from", "expires_at", "id", "last_used_at", "user_agent")
    }
    assert all(s["created_from"] == "testclient" for s in listed)
    assert all(s["user_agent"] == "testclient" for s in listed)  # TestClient's User-Agent
    assert all(s["last_used_at"] is not None for s in listed)
    assert second not in answer.text
    assert credentials.token_hash(second) not in answer.text


def test_logout_ends_every_session_of_a_member_who_then_gets_the_ended_sessions_401(
    team: Team,
) -> None:
    tokens = [_login(team.client, "bob@keep.io") for _ in range(2)]
    own = _login(team.client, "admin@keep.io")
    team.as_(own, "POST", "/v1/auth/logout")
    ended_own = team.as_(own, "GET", "/v1/whoami")

    answer = team.as_(team.admin, "POST", f"{team.sessions_of(team.bob)}/end", json={})

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"ended": 3, "elsewhere": False}  # the join's and two logins
    for token in tokens:
        refused = team.as_(token, "GET", "/v1/whoami")
        assert refused.status_code == 401
        assert refused.json()["title"] == ended_own.json()["title"]
        assert (
            refused.json()["hint"] == ended_own.json()["hint"] == "log in with: envkeep login URL"
        )
    assert team.as_(team.admin, "GET", "/v1/whoami").status_code == 200
    assert team.as_(team.admin, "GET", team.sessions_of(team.bob)).json() == []
    [event] = _events(team, "member.logout")
    assert event["target"] == "bob@keep.io"
    assert event["sessions_ended"] == 3
    assert "session_id" not in event
    again = _login(team.client, "bob@keep.io")  # the account, its keys and role stay
    assert team.as_(again, "GET", f"/v1/workspaces/{team.workspace}/members").status_code == 200


def test_logout_of_one_session_leaves_the_members_others(team: Team) -> None:
    kept, stolen = _login(team.client, "bob@keep.io"), _login(team.client, "bob@keep.io")
    mine = team.as_(stolen, "GET", "/v1/sessions").json()
    stolen_id = next(s["id"] for s in mine if s["current"])

    answer = team.as_(
        team.admin, "POST", f"{team.sessions_of(team.bob)}/end", json={"session_id": stolen_id}
    )

    assert answer.json() == {"ended": 1, "elsewhere": False}
    assert team.as_(stolen, "GET", "/v1/whoami").status_code == 401
    assert team.as_(kept, "GET", "/v1/whoami").status_code == 200
    left = {s["id"] for s in team.as_(team.admin, "GET", team.sessions_of(team.bob)).json()}
    assert stolen_id not in left
    assert len(left) == 2
    [event] = _events(team, "member.logout")
    assert (event["session_id"], event["sessions_ended"]) == (stolen_id, 1)


def test_an_ended_or_anothers_session_id_is_not_found_and_nothing_changes(team: Team) -> None:
    token = _login(team.client, "bob@keep.io")
    gone = next(s["id"] for s in team.as_(token, "GET", "/v1/sessions").json() if s["current"])
    team.as_(token, "POST", "/v1/auth/logout")
    admins = team.as_(team.admin, "GET", "/v1/sessions").json()[0]["id"]
    live = _login(team.client, "bob@keep.io")

    for session_id in (gone, admins):
        answer = team.as_(
            team.admin, "POST", f"{team.sessions_of(team.bob)}/end", json={"session_id": session_id}
        )
        assert answer.status_code == 404, answer.text
        assert "envkeep member sessions bob@keep.io" in answer.json()["hint"]

    assert team.as_(live, "GET", "/v1/whoami").status_code == 200
    assert team.as_(team.admin, "GET", "/v1/whoami").status_code == 200
    assert _events(team, "member.logout") == []


def _token_in(team: Team, owner: str, workspace: str, principal_id: str) -> None:
    """A read token ``principal_id`` made by ``owner`` in ``workspace``."""
    body = {
        "principal_id": principal_id,
        "name": "ci",
        "role": "read",
        "encryption_public": KEY,
        "signing_public": KEY,
        "wrapped_private_keys": KEY,
        "token_hash": credentials.token_hash(f"ek_sa_{principal_id}_secret"),
        "shares": [],
    }
    made = team.as_(owner, "POST", f"/v1/workspaces/{workspace}/tokens", json=body)
    assert made.status_code == 201, made.text


def test_an_admins_own_account_and_a_token_are_refused_with_the_command_that_ends_them(
    team: Team,
) -> None:
    me = team.as_(team.admin, "GET", "/v1/whoami").json()["principal"]["id"]
    principal_id = "11111111-2222-4333-8444-555555555555"
    _token_in(team, team.admin, team.workspace, principal_id)

    own = team.as_(team.admin, "POST", f"{team.sessions_of(me)}/end", json={})
    theirs = team.as_(team.admin, "POST", f"{team.sessions_of(principal_id)}/end", json={})
    listed = team.as_(team.admin, "GET", team.sessions_of(principal_id))

    assert own.status_code == 400
    assert "envkeep session revoke" in own.json()["hint"]
    assert theirs.status_code == listed.status_code == 400
    assert "envkeep token revoke" in theirs.json()["hint"]
    assert team.as_(team.admin, "GET", "/v1/whoami").status_code == 200
    assert _events(team, "member.logout") == []


def test_an_account_another_workspace_shares_is_refused_unless_the_caller_administers_it(
    team: Team,
) -> None:
    other = team.as_(team.admin, "POST", "/v1/workspaces", json={"name": "tools"}).json()["id"]
    stranger = _accept(team.client, founding_invite(team.engine, "carol@else.io"), "carol@else.io")
    bob = _login(team.client, "bob@keep.io")

    # carol's workspace takes bob in: the admin here may not log him out of it
    code = _invite(team, str(stranger["token"]), str(stranger["workspace_id"]), "bob@keep.io")
    assert team.as_(bob, "POST", "/v1/invites/join", json={"code": code}).status_code == 201
    refused = team.as_(team.admin, "POST", f"{team.sessions_of(team.bob)}/end", json={})
    hidden = team.as_(team.admin, "GET", team.sessions_of(team.bob))
    assert refused.status_code == hidden.status_code == 403
    assert "another workspace" in refused.json()["title"]
    assert "else.io" not in refused.text  # which one, it does not say
    assert team.as_(bob, "GET", "/v1/whoami").status_code == 200

    # dave is in two workspaces, both the admin's: the admin may
    dave = _accept(
        team.client, _invite(team, team.admin, team.workspace, "dave@keep.io"), "dave@keep.io"
    )
    code = _invite(team, team.admin, str(other), "dave@keep.io")
    joined = team.as_(str(dave["token"]), "POST", "/v1/invites/join", json={"code": code})
    assert joined.status_code == 201, joined.text
    ended = team.as_(
        team.admin, "POST", f"{team.sessions_of(str(dave['principal_id']))}/end", json={}
    )
    assert ended.json() == {"ended": 1, "elsewhere": True}
    assert team.as_(str(dave["token"]), "GET", "/v1/whoami").status_code == 401


def test_a_reset_still_refuses_an_account_in_a_second_workspace_even_of_the_same_admin(
    team: Team,
) -> None:
    """The shared check reaches one workspace for a reset: it removes the member there only
    and voids the account, which would leave a voided member in the other."""
    other = team.as_(team.admin, "POST", "/v1/workspaces", json={"name": "tools"}).json()["id"]
    bob = _login(team.client, "bob@keep.io")
    code = _invite(team, team.admin, str(other), "bob@keep.io")
    assert team.as_(bob, "POST", "/v1/invites/join", json={"code": code}).status_code == 201

    reset = team.as_(
        team.admin,
        "POST",
        f"/v1/workspaces/{team.workspace}/members/reset",
        json={"principal_id": team.bob, "role": "read"},
    )
    logout = team.as_(team.admin, "POST", f"{team.sessions_of(team.bob)}/end", json={})

    assert reset.status_code == 403, reset.text
    assert "cannot reset" in reset.json()["title"]
    assert logout.json() == {
        "ended": 2,
        "elsewhere": True,
    }  # the logout, which removes nothing, may
