"""A login refused with no session: someone guessing a member's passphrase is in that member's
audit trail, while an unknown email gets the same answer, no sooner (the event is appended
once the answer is sent) — on SQLite and on PostgreSQL."""

from __future__ import annotations

import base64
import json
import os
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from envkeep.api.app import create_app
from envkeep.app import accounts
from envkeep.app.context import new_uuid, utc_now
from envkeep.store.models import AuditEvent

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy import Engine
    from starlette.types import ASGIApp, Message


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


AUTH_KEY = os.urandom(32)
WRONG = {"email": "admin@example.com", "auth_key": _b64(os.urandom(32))}


@pytest.fixture
def client(engine: Engine, database: str) -> Iterator[TestClient]:
    with TestClient(create_app(database)) as api:
        yield api


@pytest.fixture
def admin(client: TestClient, engine: Engine) -> dict[str, Any]:
    with Session(engine) as session, session.begin():
        code = accounts.create_bootstrap_invite(
            session, email="admin@example.com", clock=utc_now, new_id=new_uuid
        )
    key = _b64(b"k" * 32)
    body = {
        "code": code,
        "email": "admin@example.com",
        "encryption_public": key,
        "signing_public": key,
        "wrapped_private_keys": _b64(b"wrapped"),
        "kdf_salt": _b64(b"s" * 16),
        "kdf": {"memory_kib": 65536, "iterations": 3, "lanes": 4},
        "auth_key": _b64(AUTH_KEY),
    }
    answer = client.post("/v1/invites/accept", json=body)
    assert answer.status_code == 201, answer.text
    session_: dict[str, Any] = answer.json()
    client.headers["Authorization"] = f"Bearer {session_['token']}"
    return session_


def _events(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def _login_events(client: TestClient, workspace_id: str) -> list[dict[str, Any]]:
    page = client.get(f"/v1/workspaces/{workspace_id}/audit").json()["events"]
    return [e for e in page if e["action"] == "session.login"]


def test_a_wrong_passphrase_at_login_is_in_the_accounts_audit_trail(
    client: TestClient, admin: dict[str, Any]
) -> None:
    assert client.post("/v1/auth/login", json=WRONG).status_code == 401
    events = _login_events(client, admin["workspace_id"])
    refused = [e for e in events if e["outcome"] == "denied"]
    assert [(e["target"], e["principal_id"]) for e in refused] == [
        ("admin@example.com", admin["principal_id"])
    ]
    assert json.loads(refused[0]["details"])["route"] == "/v1/auth/login"
    assert refused[0]["request_id"]
    assert refused[0]["ip"]


def test_a_login_for_an_unknown_email_gets_the_same_answer_and_appends_nothing(
    client: TestClient, admin: dict[str, Any], engine: Engine
) -> None:
    known = client.post("/v1/auth/login", json=WRONG)
    before = _events(engine)
    unknown = client.post("/v1/auth/login", json={**WRONG, "email": "nobody@example.com"})
    assert _events(engine) == before
    assert unknown.status_code == known.status_code == 401

    def shown(answer: Any) -> dict[str, Any]:
        return {k: v for k, v in answer.json().items() if k not in {"request_id", "instance"}}

    assert shown(unknown) == shown(known)


def test_a_refused_login_is_appended_only_once_its_answer_is_sent(
    client: TestClient, admin: dict[str, Any], engine: Engine
) -> None:
    """Appending before the answer would make a known email's refusal slower than an unknown
    one's, which has no trail to go to."""
    before = _events(engine)
    assert client.portal is not None  # the app runs in the client's event loop
    at_answer = client.portal.call(_login_counting, client.app, engine)
    assert at_answer == [before]
    assert _events(engine) == before + 1


async def _login_counting(app: ASGIApp, engine: Engine) -> list[int]:
    """POST a wrong login straight to the ASGI app; the count of audit events each time the
    answer's last byte is sent."""
    data = json.dumps(WRONG).encode()
    pending: list[Message] = [{"type": "http.request", "body": data, "more_body": False}]
    counted: list[int] = []

    async def receive() -> Message:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body" and not message.get("more_body"):
            counted.append(_events(engine))

    headers = [(b"content-type", b"application/json"), (b"host", b"testserver")]
    headers.append((b"content-length", str(len(data)).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/auth/login",
        "raw_path": b"/v1/auth/login",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    await app(scope, receive, send)
    return counted
