"""A request answered 403 or 404 rolls its transaction back, and with it the last-use mark it
wrote: a stolen session used only to probe showed no newer use in `session list`. The mark
is written again in a transaction of its own (the refusal's audit event's, where it has one),
still only once the stored one is five minutes old — over the real API, on SQLite and on
PostgreSQL, through the hot routes and FastAPI's alike."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from envkeep.api.app import create_app
from tests.authz_support import KEY, joining, secret_write
from tests.test_session_last_used import _sessions, _set_use, _stored_use, _team

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

ENV = "/v1/workspaces/{ws}/projects/{project}/environments/{env}"


def _as(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _project(client: TestClient, admin: str, workspace: str, name: str) -> None:
    body = {
        "name": name,
        "environments": [{"id": str(uuid.uuid4()), "name": "dev", "sealed_share": KEY}],
    }
    made = client.post(f"/v1/workspaces/{workspace}/projects", json=body, headers=_as(admin))
    assert made.status_code == 201, made.text


def _reader_of_shop(client: TestClient, engine: Engine) -> tuple[str, str, str]:
    """The founder's token, a member's who reads project shop only, and the workspace."""
    admin = _team(client, engine)
    workspace = client.get("/v1/whoami", headers=_as(admin)).json()["workspaces"][0]["id"]
    _project(client, admin, workspace, "shop")
    _project(client, admin, workspace, "payments")
    invite = {"email": "mal@keep.io", "role": "read", "project": "shop"}
    made = client.post(f"/v1/workspaces/{workspace}/invites", json=invite, headers=_as(admin))
    assert made.status_code == 201, made.text
    joined = client.post("/v1/invites/accept", json=joining(made.json()["code"], "mal@keep.io"))
    assert joined.status_code == 201, joined.text
    return admin, str(joined.json()["token"]), workspace


def _attempt(kind: str, workspace: str) -> tuple[str, str, Any]:
    """A refused request: a write the reader may not make (403, audited, a hot route), a
    snapshot of a project it holds no role on (404, audited), a service added there (404,
    FastAPI's router), and an environment that does not exist (404, not audited)."""
    shop = ENV.format(ws=workspace, project="shop", env="dev")
    hidden = ENV.format(ws=workspace, project="payments", env="dev")
    return {
        "write": ("POST", f"{shop}/secrets", {"writes": [secret_write(str(uuid.UUID(int=1)), 1)]}),
        "hidden snapshot": ("GET", f"{hidden}/snapshot", None),
        "hidden service": (
            "POST",
            f"/v1/workspaces/{workspace}/projects/payments/services",
            {"name": "billing"},
        ),
        "missing environment": ("GET", f"{shop.removesuffix('dev')}nope/snapshot", None),
    }[kind]


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("write", 403),
        ("hidden snapshot", 404),
        ("hidden service", 404),
        ("missing environment", 404),
    ],
)
def test_a_refused_request_keeps_its_sessions_last_use(
    engine: Engine, kind: str, status: int
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    with TestClient(create_app(url, rate=0)) as client:
        _admin, member, workspace = _reader_of_shop(client, engine)
        (session_id,) = (s["id"] for s in _sessions(client, member))
        old = datetime.now(UTC) - timedelta(minutes=6)
        _set_use(engine, session_id, old)
        before = datetime.now(UTC)
        method, path, body = _attempt(kind, workspace)

        refused = client.request(method, path, json=body, headers=_as(member))
        kept = _stored_use(engine, session_id)

    assert refused.status_code == status, refused.text
    assert before <= kept <= datetime.now(UTC)


def test_a_refused_request_within_five_minutes_of_the_last_use_writes_none(
    engine: Engine,
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    with TestClient(create_app(url, rate=0)) as client:
        _admin, member, workspace = _reader_of_shop(client, engine)
        (session_id,) = (s["id"] for s in _sessions(client, member))
        recent = datetime.now(UTC) - timedelta(minutes=4)
        _set_use(engine, session_id, recent)
        method, path, body = _attempt("write", workspace)

        refused = client.request(method, path, json=body, headers=_as(member))
        kept = _stored_use(engine, session_id)

    assert refused.status_code == 403
    assert kept == recent


def test_a_refusal_keeping_the_last_use_is_still_audited_once(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    with TestClient(create_app(url, rate=0)) as client:
        admin, member, workspace = _reader_of_shop(client, engine)
        (session_id,) = (s["id"] for s in _sessions(client, member))
        _set_use(engine, session_id, datetime.now(UTC) - timedelta(minutes=6))
        method, path, body = _attempt("write", workspace)

        refused = client.request(method, path, json=body, headers=_as(member))
        trail = client.get(
            f"/v1/workspaces/{workspace}/audit",
            params={"action": "request.denied"},
            headers=_as(admin),
        )

    assert refused.status_code == 403
    assert trail.status_code == 200, trail.text
    assert len(trail.json()["events"]) == 1
