"""An admin cannot reset their own account (as they cannot remove themselves); the refusal
names the command another admin runs, `member reset` with the role, not `member remove`, which
would leave the person with no way back. On SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.test_lifecycle_failed_logins import admin, client

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

__all__ = ["admin", "client"]  # the fixtures, shared with test_lifecycle_failed_logins


def test_resetting_oneself_is_refused_naming_the_reset_another_admin_runs(
    client: TestClient, admin: dict[str, Any]
) -> None:
    path = f"/v1/workspaces/{admin['workspace_id']}/members/reset"
    body = {"principal_id": admin["principal_id"], "role": "admin"}
    refused = client.post(path, json=body)
    assert refused.status_code == 400, refused.text
    problem = refused.json()
    assert "you cannot reset yourself" in problem["title"]
    assert "envkeep member reset admin@example.com --role admin" in problem["hint"]
    assert "invite another first" in problem["hint"]  # the only admin here
    assert client.get("/v1/whoami").status_code == 200  # nothing was voided or ended
