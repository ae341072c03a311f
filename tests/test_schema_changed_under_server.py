"""A server whose database's schema changes under it (a newer envkeep ran `server migrate`
while it ran) stops answering requests that use the database: 503 `schema_changed`, with what
to do, one log line, `/readyz` 503 and `/healthz` 200 (`api/schema_watch.py`)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from envkeep.api.app import create_app
from envkeep.core.errors import SchemaChanged
from envkeep.store.engine import open_engine
from envkeep.store.schema_version import HEAD_REVISION
from tests.server import TeamServer, cli, join, quick_ok, server_per_database

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from sqlalchemy import Engine

NEWER = f"{int(HEAD_REVISION) + 1:04d}"  # what a newer envkeep's `server migrate` leaves
PRELOGIN = ("/v1/auth/prelogin", {"email": "nobody@schema.io"})  # public, reads the database
SNAPSHOT = "/v1/workspaces/w/projects/shop/environments/dev/snapshot"  # a hot route


def _set_revision(database: str | Engine, revision: str) -> None:
    engine = open_engine(database) if isinstance(database, str) else database
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    if isinstance(database, str):
        engine.dispose()


def _refused(answer: httpx.Response) -> None:
    assert answer.status_code == 503, answer.text
    body = answer.json()
    assert body["code"] == "schema_changed"
    assert f"changed to schema {NEWER} while the server ran" in body["title"]
    assert "restart it with the envkeep that migrated its database" in body["hint"]


def test_readiness_finding_another_schema_stops_every_database_request(
    engine: Engine, database: str
) -> None:
    with TestClient(create_app(database)) as client:
        assert client.post(PRELOGIN[0], json=PRELOGIN[1]).status_code == 200
        _set_revision(engine, NEWER)
        assert client.get("/readyz").status_code == 503
        _refused(client.post(PRELOGIN[0], json=PRELOGIN[1]))  # FastAPI's routes
        _refused(client.get(SNAPSHOT, headers={"Authorization": "Bearer x"}))  # the hot routes
        assert client.get("/healthz").status_code == 200
        _set_revision(engine, HEAD_REVISION)  # back again: still refused, until a restart
        again = client.get("/readyz")
        _refused(client.post(PRELOGIN[0], json=PRELOGIN[1]))
    assert again.status_code == 503
    assert again.json()["title"] == "the database schema changed while this server ran"


def test_the_watch_finds_a_changed_schema_without_a_readiness_check(
    engine: Engine, database: str
) -> None:
    app = create_app(database)
    app.state.envkeep.schema.interval = 0.05
    with TestClient(app) as client:
        assert client.post(PRELOGIN[0], json=PRELOGIN[1]).status_code == 200
        _set_revision(engine, NEWER)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not app.state.envkeep.schema.changed:
            time.sleep(0.02)
        _refused(client.post(PRELOGIN[0], json=PRELOGIN[1]))


@pytest.fixture(params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TeamServer]:
    yield from server_per_database(request, tmp_path_factory, "schema-changed")


def test_a_running_server_stops_serving_once_a_newer_envkeep_migrated_its_database(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = tmp_path / "alice", tmp_path / "work"
    work.mkdir()
    join(server, alice, work, server.invite("alice@schema.io"), "alice@schema.io")
    quick_ok(alice, work, "init", "shop")
    quick_ok(alice, work, "set", "A=1", "--env", "dev")

    _set_revision(server.database, NEWER)
    deadline = time.monotonic() + 10  # the watch reads the schema every 2 s
    while time.monotonic() < deadline:
        answer = httpx.post(f"{server.url}{PRELOGIN[0]}", json=PRELOGIN[1])
        if answer.status_code != 200:
            break
        time.sleep(0.1)
    _refused(answer)
    written = cli(alice, work, "set", "B=2", "--env", "dev")
    read = cli(alice, work, "get", "A", "--env", "dev")

    assert written.returncode == SchemaChanged.exit_code, written.stderr
    assert f"changed to schema {NEWER} while the server ran" in written.stderr
    assert "hint: the server's operator must restart it" in written.stderr
    assert "if it persists" not in written.stderr  # nothing to retry, nothing ran
    assert read.returncode == SchemaChanged.exit_code, read.stderr
    assert httpx.get(f"{server.url}/healthz").status_code == 200
    assert httpx.get(f"{server.url}/readyz").status_code == 503
    logged = server.log.read_text()
    assert logged.count('"event": "schema_changed"') == 1
    assert f'"found": "{NEWER}"' in logged


def test_shutdown_waits_for_a_schema_read_in_flight_before_closing_the_database(
    database: str,
) -> None:
    # cancelled, the watch's task left its read running in a worker thread while the engine
    # was disposed under it: the connection it held was never closed (a ResourceWarning
    # when collected, failing whichever test that happened in)
    app = create_app(database)
    state = app.state.envkeep
    reading: list[float] = []
    seen: list[float | str] = []
    closing = state.close

    def slow_read() -> str:
        reading.append(time.monotonic())
        time.sleep(0.5)
        seen.append(time.monotonic())
        return HEAD_REVISION

    def close() -> None:
        seen.append("closed")
        closing()

    state.schema.read, state.schema.interval, state.close = slow_read, 0.01, close
    with TestClient(app):
        while not reading:
            time.sleep(0.01)
    time.sleep(0.6)  # the read's thread, were it left running, ends meanwhile
    assert seen[-1] == "closed", seen  # the read in flight ended before the database closed
