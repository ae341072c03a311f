"""A login refused for a member of several workspaces is in the audit trail of each: one
workspace's admins, reading their own trail, see their member's passphrase being guessed even
when the account joined another workspace first. On SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tests.test_lifecycle_failed_logins import WRONG, admin, client

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

__all__ = ["admin", "client"]  # the fixtures, shared with test_lifecycle_failed_logins


def _refused_logins(client: TestClient, workspace_id: str) -> list[tuple[str, str]]:
    page = client.get(f"/v1/workspaces/{workspace_id}/audit").json()["events"]
    return [
        (e["target"], json.loads(e["details"])["route"])
        for e in page
        if e["action"] == "session.login" and e["outcome"] == "denied"
    ]


def test_a_refused_login_is_in_the_trail_of_every_workspace_of_the_account(
    client: TestClient, admin: dict[str, Any]
) -> None:
    made = client.post("/v1/workspaces", json={"name": "second"})
    assert made.status_code == 201, made.text
    second = made.json()["id"]
    assert client.post("/v1/auth/login", json=WRONG).status_code == 401
    expected = [("admin@example.com", "/v1/auth/login")]
    assert _refused_logins(client, admin["workspace_id"]) == expected
    assert _refused_logins(client, second) == expected
