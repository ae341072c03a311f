"""`session list` shows the caller's live sessions only: one that has expired is no session
any more (its token gets 401), and listing it beside the live ones misled a person checking
which devices can still read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from fastapi.testclient import TestClient
from sqlalchemy import update

from envkeep.api.app import create_app
from envkeep.store.models import SessionToken
from tests.authz_support import AUTH_KEY, b64, founding_invite, joining

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


def test_an_expired_session_is_not_listed_and_its_token_is_refused(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    with TestClient(create_app(url, rate=0)) as client:
        joined = client.post(
            "/v1/invites/accept",
            json=joining(founding_invite(engine, "ann@keep.io"), "ann@keep.io"),
        )
        assert joined.status_code == 201, joined.text
        first = joined.json()["token"]
        login = client.post(
            "/v1/auth/login", json={"email": "ann@keep.io", "auth_key": b64(AUTH_KEY)}
        )
        second = login.json()["token"]
        mine = {"Authorization": f"Bearer {second}"}
        listed = client.get("/v1/sessions", headers=mine).json()
        assert len(listed) == 2
        stale = next(s["id"] for s in listed if not s["current"])
        with engine.begin() as connection:
            connection.execute(
                update(SessionToken)
                .where(SessionToken.id == stale)
                .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
            )

        assert (
            client.get("/v1/whoami", headers={"Authorization": f"Bearer {first}"}).status_code
            == 401
        )
        after = client.get("/v1/sessions", headers=mine).json()
        assert [s["id"] for s in after] == [s["id"] for s in listed if s["current"]]


def test_a_passphrase_change_counts_the_live_sessions_it_ended_not_expired_ones(
    engine: Engine,
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    with TestClient(create_app(url, rate=0)) as client:
        code = founding_invite(engine, "kim@keep.io")
        mine = client.post("/v1/invites/accept", json=joining(code, "kim@keep.io")).json()["token"]
        login = {"email": "kim@keep.io", "auth_key": b64(AUTH_KEY)}
        live, expired = (client.post("/v1/auth/login", json=login).json()["token"] for _ in "ab")
        listed = client.get("/v1/sessions", headers={"Authorization": f"Bearer {expired}"})
        stale = next(s["id"] for s in listed.json() if s["current"])
        with engine.begin() as connection:
            connection.execute(
                update(SessionToken)
                .where(SessionToken.id == stale)
                .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
            )
        change = {
            "old_auth_key": b64(AUTH_KEY),
            "new_auth_key": b64(b"n" * 32),
            "kdf_salt": b64(b"t" * 16),
            "kdf": {"memory_kib": 65536, "iterations": 3, "lanes": 4},
            "wrapped_private_keys": b64(b"rewrapped"),
        }

        answer = client.post(
            "/v1/account/passphrase", json=change, headers={"Authorization": f"Bearer {mine}"}
        )

        assert answer.status_code == 200, answer.text
        assert answer.json() == {"ended": 1}  # the live one; the expired one had ended
        gone = client.get("/v1/whoami", headers={"Authorization": f"Bearer {live}"})
        assert gone.status_code == 401
