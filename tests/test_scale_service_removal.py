"""Removing a service changes every environment of its project: a new revision (the ETag),
so that a snapshot read before no longer stands for the state after, and an `If-Match`
planned against it is refused; and the copies kept for reads offline are read again, so that
none serves the values just deleted."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from envkeep.api.app import create_app
from tests.server import cli, join, quick_ok, start_server
from tests.test_api import _invite, _join, _write

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from sqlalchemy import Engine

KEY = "a" * 43  # 32 bytes, base64url: the server never opens it


@pytest.fixture
def client(engine: Engine, database: str) -> Iterator[TestClient]:
    with TestClient(create_app(database)) as api:
        yield api


@pytest.fixture
def project(client: TestClient, engine: Engine) -> str:
    """A project `shop` with environments dev and prod and a service `worker`; its path."""
    admin = _join(client, _invite(engine, "admin@example.com"))
    client.headers["Authorization"] = f"Bearer {admin['token']}"
    envs = [{"id": str(uuid.uuid4()), "name": n, "sealed_share": KEY} for n in ("dev", "prod")]
    path = f"/v1/workspaces/{admin['workspace_id']}/projects"
    created = client.post(path, json={"name": "shop", "environments": envs})
    assert created.status_code == 201, created.text
    added = client.post(f"{path}/shop/services", json={"name": "worker"})
    assert added.status_code == 201, added.text
    return f"{path}/shop"


def _worker_write(project_client: TestClient, project: str) -> None:
    """One variable in worker's scope of dev."""
    [worker] = project_client.get(f"{project}/services").json()
    write: dict[str, Any] = _write(str(uuid.uuid4()), 0) | {"scope": f"service:{worker['id']}"}
    done = project_client.post(f"{project}/environments/dev/secrets", json={"writes": [write]})
    assert done.status_code == 200, done.text


def test_removing_a_service_gives_each_environment_a_new_etag(
    client: TestClient, project: str
) -> None:
    _worker_write(client, project)
    before = {e: client.get(f"{project}/environments/{e}/snapshot") for e in ("dev", "prod")}

    removed = client.delete(f"{project}/services/worker")

    assert removed.status_code == 204, removed.text
    for env, old in before.items():
        now = client.get(f"{project}/environments/{env}/snapshot")
        assert now.json()["services"] == []
        assert now.headers["etag"] != old.headers["etag"], env
    assert client.get(f"{project}/environments/dev/snapshot").json()["secrets"] == []


def test_a_write_planned_before_a_service_was_removed_is_a_conflict(
    client: TestClient, project: str
) -> None:
    _worker_write(client, project)
    etag = client.get(f"{project}/environments/dev/snapshot").headers["etag"]
    assert client.delete(f"{project}/services/worker").status_code == 204

    stale = client.post(
        f"{project}/environments/dev/secrets",
        json={"writes": [_write(str(uuid.uuid4()), 0)]},
        headers={"If-Match": etag},
    )

    assert stale.status_code == 409, stale.text
    assert stale.json()["code"] == "conflict"


def test_a_removed_service_s_values_are_not_served_from_a_kept_copy_offline(
    tmp_path: Path,
) -> None:
    home, work = tmp_path / "home", tmp_path / "work"
    (work / "services" / "worker").mkdir(parents=True)
    server = start_server(tmp_path / "srv")
    try:
        join(server, home, work, server.invite("ops@off.io"), "ops@off.io")
        quick_ok(home, work, "init", "shop")
        quick_ok(home, work, "service", "add", "worker", "--path", "services/worker")
        quick_ok(home, work, "set", "QUEUE=jobs-old", "--env", "dev", "--service", "worker")
        quick_ok(home, work, "set", "LOG_LEVEL=info", "--env", "dev")
        quick_ok(home, work, "export", "--env", "dev", "--service", "worker")  # keeps a copy
        quick_ok(home, work, "service", "remove", "worker", "--yes")
    finally:
        server.stop()

    worker = cli(home, work, "export", "--env", "dev", "--service", "worker", "--format", "json")
    shared = cli(home, work, "export", "--env", "dev", "--format", "json")

    assert worker.returncode != 0, worker.stdout
    assert "jobs-old" not in worker.stdout + worker.stderr
    assert shared.returncode == 0, shared.stderr
    assert "warning: server unreachable; using the copy fetched" in shared.stderr
    assert shared.stdout.strip() == '{\n  "LOG_LEVEL": "info"\n}'
