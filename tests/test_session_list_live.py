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
