"""Removing a service while a write into its scope holds the environment, on PostgreSQL: one
goes first, neither fails. A write locks its environment's row, then inserts its secrets,
whose reference to the service waits on the service's row; the removal deleted the service
first and then raised every environment's revision (waiting on the row the write held): a
deadlock, and one of the two failed."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text

from tests.test_last_admin_race import until_waiting
from tests.test_scale_service_removal import client, project

if TYPE_CHECKING:
    from fastapi.testclient import TestClient
    from sqlalchemy import Engine

__all__ = ["client", "project"]  # the fixtures, used by name

_INSERT = (
    "INSERT INTO secrets (id, environment_id, scope, service_id, name_index, current_version,"
    " deleted, created_at, updated_at) VALUES (:id, :env, :scope, :service, :index, 1, false,"
    " :now, :now)"
)


def test_a_service_removed_while_a_write_holds_its_environment_waits_for_it(
    client: TestClient, project: str, engine: Engine
) -> None:
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite runs one writer at a time")
    [worker] = client.get(f"{project}/services").json()
    with engine.connect() as reading:
        env_id = reading.execute(text("SELECT id FROM environments WHERE name = 'dev'")).scalar()
    removed: dict[str, int] = {}
    removal = threading.Thread(
        target=lambda: removed.update(
            status=client.delete(f"{project}/services/worker").status_code
        ),
        daemon=True,
    )
    with engine.connect() as writer:  # a write of worker's scope of dev, as `writes` makes it
        writer.execute(
            text("SELECT id FROM environments WHERE id = :id FOR UPDATE"), {"id": env_id}
        )
        removal.start()
        until_waiting(engine, 1)  # the removal waits on the writer
        writer.execute(
            text(_INSERT),
            {
                "id": str(uuid.uuid4()),
                "env": env_id,
                "scope": f"service:{worker['id']}",
                "service": worker["id"],
                "index": b"i" * 32,
                "now": datetime.now(UTC),
            },
        )
        writer.commit()
    removal.join(30)

    assert removed == {"status": 204}
    assert client.get(f"{project}/services").json() == []
    with engine.connect() as reading:
        left = reading.execute(text("SELECT count(*) FROM secrets")).scalar()
    assert left == 0  # the written secret went with the service
