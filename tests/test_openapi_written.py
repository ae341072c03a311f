"""``/openapi.json`` describes a write's answer as this server sends it: ``written_at`` a
string, always there. The client still reads an older server's answer without it (as None:
the copy it keeps is fetched again, tests/cli/test_kept_write_matches_fetch.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi.testclient import TestClient

from envkeep.api import schemas
from envkeep.api.app import create_app
from envkeep.client.answers import read_answer
from envkeep.store.engine import open_engine, sqlite_url
from envkeep.store.migrate import upgrade

if TYPE_CHECKING:
    from pathlib import Path

WRITES = "/v1/workspaces/{workspace_id}/projects/{project}/environments/{environment}/secrets"


def _document(tmp_path: Path) -> dict[str, Any]:
    url = sqlite_url(tmp_path / "server.db")
    engine = open_engine(url)
    upgrade(engine)
    engine.dispose()
    with TestClient(create_app(url)) as client:
        document: dict[str, Any] = client.get("/openapi.json").json()
    return document


def test_the_openapi_document_says_a_write_answer_always_has_its_time(tmp_path: Path) -> None:
    document = _document(tmp_path)
    answer = document["paths"][WRITES]["post"]["responses"]["200"]["content"]
    ref = answer["application/json"]["schema"]["$ref"]
    written = document["components"]["schemas"][ref.rsplit("/", 1)[-1]]

    assert written["properties"]["written_at"] == {"title": "Written At", "type": "string"}
    assert sorted(written["required"]) == ["revision", "written_at"]


def test_the_client_reads_an_older_server_s_write_answer_without_its_time() -> None:
    older = read_answer(schemas.Written, {"revision": 4})

    assert (older.revision, older.written_at) == (4, None)
