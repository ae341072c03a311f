"""An account's own events (a login, `logout`, `session revoke`, `account passphrase`, and a
wrong passphrase sent from a live session) are in the trail of every workspace the account holds a
role in, as a refused login and a `member logout` are: the sessions and the passphrase are
the account's, and the admin of a workspace it joined second, reading their own trail, saw
nothing. Each chain gets exactly one event per request and still verifies; a workspace the
account holds no role in gets none. Over the real API on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from envkeep.app.audit import event_view, verify_chain
from tests.authz_support import AUTH_KEY, b64
from tests.test_member_logout_every_workspace import _chain, _second_workspace_with_bob_and_eve
from tests.test_member_sessions import Team, _accept, _invite, _login, team

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = ["team"]  # the fixture, shared with test_member_sessions

WRONG = b64(b"w" * 32)
PASSPHRASE_CHANGE = {
    "old_auth_key": b64(AUTH_KEY),
    "new_auth_key": b64(b"n" * 32),
    "kdf_salt": b64(b"t" * 16),
    "kdf": {"memory_kib": 65536, "iterations": 3, "lanes": 4},
    "wrapped_private_keys": b64(b"rewrapped"),
}


def _log_in(team: Team, _bob: str, _other: str) -> tuple[int, str]:
    answer = team.client.post(
        "/v1/auth/login", json={"email": "bob@keep.io", "auth_key": b64(AUTH_KEY)}
    )
    return answer.status_code, "session.login"


def _logout(team: Team, bob: str, _other: str) -> tuple[int, str]:
    return team.as_(bob, "POST", "/v1/auth/logout").status_code, "session.logout"


def _revoke(team: Team, bob: str, other: str) -> tuple[int, str]:
    return team.as_(bob, "DELETE", f"/v1/sessions/{other}").status_code, "session.revoke"


def _passphrase(team: Team, bob: str, _other: str) -> tuple[int, str]:
    answer = team.as_(bob, "POST", "/v1/account/passphrase", json=PASSPHRASE_CHANGE)
    return answer.status_code, "account.passphrase"


def _wrong_passphrase(team: Team, bob: str, _other: str) -> tuple[int, str]:
    answer = team.as_(bob, "POST", "/v1/account/passphrase/check", json={"auth_key": WRONG})
    return answer.status_code, "request.denied"


ACTS: dict[str, Callable[[Team, str, str], tuple[int, str]]] = {
    "login": _log_in,
    "logout": _logout,
    "session revoke": _revoke,
    "account passphrase": _passphrase,
    "a wrong passphrase": _wrong_passphrase,
}
STATUS = {"login": 200, "logout": 204, "session revoke": 204, "account passphrase": 200}


def _added(team: Team, workspace: str, before: int) -> list[dict[str, Any]]:
    chain = _chain(team, workspace)
    assert verify_chain([event_view(e) for e in chain]) is None
    return [
        {"action": e.action, "target": e.target, "outcome": e.outcome, "by": e.principal_id}
        for e in chain[before:]
    ]


@pytest.mark.parametrize("act", list(ACTS))
def test_an_accounts_own_event_is_in_the_trail_of_each_of_its_workspaces(
    team: Team, act: str
) -> None:
    tools, eve = _second_workspace_with_bob_and_eve(team)
    solo = team.as_(team.admin, "POST", "/v1/workspaces", json={"name": "solo"}).json()["id"]
    bob = _login(team.client, "bob@keep.io")
    other = _login(team.client, "bob@keep.io")  # another device's, which a revoke ends
    listed = team.as_(other, "GET", "/v1/sessions").json()
    other_id = next(s["id"] for s in listed if s["current"])
    before = {w: len(_chain(team, w)) for w in (team.workspace, tools, solo)}

    status, action = ACTS[act](team, bob, other_id)

    assert status == STATUS.get(act, 401)
    outcome = "denied" if status == 401 else "ok"
    expected = [{"action": action, "target": "bob@keep.io", "outcome": outcome, "by": team.bob}]
    assert _added(team, team.workspace, before[team.workspace]) == expected
    assert _added(team, tools, before[tools]) == expected
    assert _added(team, solo, before[solo]) == []  # bob holds no role there
    read_by_eve = team.as_(eve, "GET", f"/v1/workspaces/{tools}/audit").json()["events"]
    seen = [e["target"] for e in read_by_eve if e["action"] == action]
    in_chain = [e for e in _chain(team, tools) if e.action == action]  # a login's: the set-up's too
    assert seen == ["bob@keep.io"] * len(in_chain)


def test_an_account_of_one_workspace_writes_its_own_events_there_alone(team: Team) -> None:
    tools, _eve = _second_workspace_with_bob_and_eve(team)
    invited = _invite(team, team.admin, team.workspace, "carl@keep.io")
    carl = _accept(team.client, invited, "carl@keep.io")  # a reader of the first one only
    before = {w: len(_chain(team, w)) for w in (team.workspace, tools)}

    answer = team.as_(str(carl["token"]), "POST", "/v1/auth/logout")

    assert answer.status_code == 204, answer.text
    assert len(_chain(team, tools)) == before[tools]
    assert len(_chain(team, team.workspace)) == before[team.workspace] + 1


def test_the_events_details_are_the_same_in_every_workspace(team: Team) -> None:
    tools, _eve = _second_workspace_with_bob_and_eve(team)
    bob = _login(team.client, "bob@keep.io")
    before = {w: len(_chain(team, w)) for w in (team.workspace, tools)}

    assert team.as_(bob, "POST", "/v1/account/passphrase/check", json={"auth_key": WRONG})

    details = [
        json.loads(e.details) for w in (team.workspace, tools) for e in _chain(team, w)[before[w] :]
    ]
    assert len(details) == 2
    assert details[0] == details[1]
    assert details[0]["route"] == "/v1/account/passphrase/check"
