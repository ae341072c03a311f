"""On PostgreSQL a session's last-use mark skips a row another transaction holds: a long
transaction of the same token's (a large import) would otherwise make its every other request
wait for that commit, for a mark only. The request answers at once and the mark waits for a
later request."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from envkeep.api.app import create_app
from tests.test_session_last_used import _sessions, _set_use, _stored_use, _team

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


def test_a_due_mark_does_not_wait_for_a_transaction_holding_the_sessions_row(
    engine: Engine,
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's: a SQLite transaction holds the whole file")
    url = engine.url.render_as_string(hide_password=False)
    with TestClient(create_app(url, rate=0)) as client:
        token = _team(client, engine)
        mine = {"Authorization": f"Bearer {token}"}
        (session_id,) = (s["id"] for s in _sessions(client, token))
        old = datetime.now(UTC) - timedelta(minutes=6)
        _set_use(engine, session_id, old)
        statuses: list[int] = []
        with engine.connect() as holder:
            holder.execute(
                text("SELECT id FROM sessions WHERE id = :id FOR UPDATE"), {"id": session_id}
            )
            asked = threading.Thread(
                target=lambda: statuses.append(client.get("/v1/whoami", headers=mine).status_code)
            )
            asked.start()
            asked.join(timeout=15)
            answered_while_held = not asked.is_alive()
            holder.rollback()
        asked.join(timeout=30)
        skipped = _stored_use(engine, session_id)
        assert client.get("/v1/whoami", headers=mine).status_code == 200
        marked = _stored_use(engine, session_id)

    assert answered_while_held
    assert statuses == [200]
    assert skipped == old  # the held row was left as it was
    assert marked > old  # the next request due marks it
