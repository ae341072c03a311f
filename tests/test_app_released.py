"""An app the process is done with is freed, its engine and caches with it: the suite builds
hundreds of apps in each worker, and FastAPI keeps the endpoints it has seen in a process-wide
cache (4,096 of them), so an endpoint closing over its app kept every app alive."""

from __future__ import annotations

import gc
import weakref
from typing import TYPE_CHECKING

from fastapi.testclient import TestClient

from envkeep.api.app import create_app

if TYPE_CHECKING:
    from sqlalchemy import Engine


def _served_once(database: str) -> weakref.ref[object]:
    app = create_app(database)
    with TestClient(app) as client:
        assert client.get("/openapi.json").status_code == 200
        assert client.get("/docs").status_code == 200
    return weakref.ref(app)


def test_an_app_served_and_closed_is_freed(engine: Engine, database: str) -> None:
    built = [_served_once(database) for _ in range(3)]
    gc.collect()
    assert [ref() for ref in built] == [None, None, None]
