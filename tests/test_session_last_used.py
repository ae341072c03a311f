"""A session records the client it was started with and when it was last used, over the real
API on SQLite and PostgreSQL: the User-Agent is kept without control characters and cut to
200 characters, and a request writes the last use only once the stored one is five minutes
old (reads do not write one more row each), so that `session list` tells a stolen session
from its owner's own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from envkeep.api.app import create_app
from envkeep.app.context import aware
from envkeep.store.models import SessionToken
from tests.authz_support import AUTH_KEY, b64, founding_invite, joining

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

HOSTILE = "\x1b[2J\x1b[31mevil/1.0\r\nX-Forged: yes\x07 " + "a" * 300


def _login(client: TestClient, email: str, agent: str) -> str:
    login = {"email": email, "auth_key": b64(AUTH_KEY)}
    answer = client.post("/v1/auth/login", json=login, headers={"User-Agent": agent})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["token"])


def _team(client: TestClient, engine: Engine) -> str:
    joined = client.post(
        "/v1/invites/accept",
        json=joining(founding_invite(engine, "ann@keep.io"), "ann@keep.io"),
        headers={"User-Agent": "envkeep/0.2.0 (python 3.11; linux)"},
    )
    assert joined.status_code == 201, joined.text
    return str(joined.json()["token"])


def _sessions(client: TestClient, token: str) -> list[dict[str, Any]]:
    listed = client.get("/v1/sessions", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200, listed.text
    found: list[dict[str, Any]] = listed.json()
    return found


def _stored_use(engine: Engine, session_id: str) -> datetime:
    with engine.connect() as connection:
        found = connection.scalar(
            select(SessionToken.last_used_at).where(SessionToken.id == session_id)
        )
    assert found is not None
    return aware(found)


def _set_use(engine: Engine, session_id: str, moment: datetime) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(SessionToken).where(SessionToken.id == session_id).values(last_used_at=moment)
        )


def test_a_login_keeps_its_client_without_control_characters_and_cut_to_200(
    engine: Engine,
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    with TestClient(create_app(url, rate=0)) as client:
        first = _team(client, engine)
        started = datetime.now(UTC)
        _login(client, "ann@keep.io", HOSTILE)

        listed = _sessions(client, first)

    agents = {s["current"]: s["user_agent"] for s in listed}
    assert agents[True] == "envkeep/0.2.0 (python 3.11; linux)"
    hostile = agents[False]
    assert hostile.startswith("[2J [31mevil/1.0 X-Forged: yes aaa")
    assert len(hostile) == 200
    assert not any(ord(c) < 32 or ord(c) == 127 for c in hostile)
    other = next(s for s in listed if not s["current"])
    used = datetime.fromisoformat(other["last_used_at"])
    assert started - timedelta(seconds=5) <= used <= datetime.now(UTC)  # the login is a use


def test_a_request_writes_the_last_use_only_once_the_stored_one_is_five_minutes_old(
    engine: Engine,
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    with TestClient(create_app(url, rate=0)) as client:
        token = _team(client, engine)
        mine = {"Authorization": f"Bearer {token}"}
        (session_id,) = (s["id"] for s in _sessions(client, token))
        recent = datetime.now(UTC) - timedelta(minutes=4)
        _set_use(engine, session_id, recent)

        assert client.get("/v1/whoami", headers=mine).status_code == 200
        kept = _stored_use(engine, session_id)

        old = datetime.now(UTC) - timedelta(minutes=6)
        _set_use(engine, session_id, old)
        before = datetime.now(UTC)
        assert client.get("/v1/whoami", headers=mine).status_code == 200
        written = _stored_use(engine, session_id)
        listed = _sessions(client, token)

    assert kept == recent  # within five minutes: nothing written
    assert before <= written <= datetime.now(UTC)
    assert datetime.fromisoformat(listed[0]["last_used_at"]) == written
