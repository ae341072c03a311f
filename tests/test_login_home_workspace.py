"""The workspace a login answers with (the client's default) is the account's oldest role
binding's, ties by the binding's id (`app/home_workspace`): not whichever binding a ``LIMIT 1``
happened to return. Bob holds a role in two workspaces whose rows are set so that workspace id
order, binding id order and where the rows lie all point to the other one. Over the real API,
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from tests.authz_support import AUTH_KEY, b64
from tests.test_member_logout_every_workspace import _second_workspace_with_bob_and_eve
from tests.test_member_sessions import Team, team

__all__ = ["team"]  # the fixture, shared with test_member_sessions

FIRST_ID = "00000000-0000-4000-8000-000000000000"
LAST_ID = "ffffffff-ffff-4fff-bfff-ffffffffffff"
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def _set_binding(team: Team, workspace: str, *, binding_id: str, created_at: datetime) -> None:
    """Bob's binding in ``workspace`` gets this id and time (an UPDATE: on PostgreSQL its row
    then lies after the other's, as a table scan returns them)."""
    with team.engine.begin() as connection:
        changed = connection.execute(
            text(
                "UPDATE role_bindings SET id = :id, created_at = :at"
                " WHERE principal_id = :bob AND workspace_id = :ws"
            ),
            {"id": binding_id, "at": created_at, "bob": team.bob, "ws": workspace},
        )
        assert changed.rowcount == 1


def _login_workspace(team: Team) -> str:
    answer = team.client.post(
        "/v1/auth/login", json={"email": "bob@keep.io", "auth_key": b64(AUTH_KEY)}
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["workspace_id"])


def _two_workspaces(team: Team) -> tuple[str, str]:
    """Bob's two workspaces: (the one with the larger id, the other)."""
    tools, _eve = _second_workspace_with_bob_and_eve(team)
    later, earlier = sorted((team.workspace, tools), reverse=True)
    return later, earlier


def test_a_login_answers_with_the_workspace_of_the_accounts_oldest_role(team: Team) -> None:
    oldest, other = _two_workspaces(team)
    # The other's binding is newer; the oldest's has the larger workspace id, the larger
    # binding id, and its row comes last.
    _set_binding(team, other, binding_id=FIRST_ID, created_at=LONG_AGO + timedelta(days=1))
    _set_binding(team, oldest, binding_id=LAST_ID, created_at=LONG_AGO)

    assert _login_workspace(team) == oldest
    assert _login_workspace(team) == oldest  # and again: a stable answer


def test_roles_made_at_the_same_time_answer_with_the_smaller_binding_ids_workspace(
    team: Team,
) -> None:
    first, other = _two_workspaces(team)
    _set_binding(team, other, binding_id=LAST_ID, created_at=LONG_AGO)
    _set_binding(team, first, binding_id=FIRST_ID, created_at=LONG_AGO)

    assert _login_workspace(team) == first
