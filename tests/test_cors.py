"""CORS (`api/cors.py`): off by default, with no layer in the request path; for the origins the
operator names, the CORS headers on every answer (the hot routes, FastAPI's routes, the request
layer's own refusals) and preflights answered and logged like any request; for any other
origin, no CORS header at all."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi.testclient import TestClient
from structlog.testing import capture_logs

from envkeep.api import cors
from envkeep.api.app import create_app
from envkeep.api.hot_routes import HotRoutes
from envkeep.api.observability import Observe
from envkeep.api.routes_secrets import PREFIX
from envkeep.store.engine import open_engine, sqlite_url
from envkeep.store.migrate import upgrade
from tests.authz_support import KEY, founding_invite, joining, secret_write
from tests.server import cli, start_server

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

ALLOWED = "https://app.example.com"
OTHER = "https://elsewhere.example.com"
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type, if-match",
}


@pytest.fixture
def database(tmp_path: Path) -> str:
    """A migrated SQLite file: CORS is the transport's, the same on every database."""
    url = sqlite_url(tmp_path / "server.db")
    engine = open_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def _admin(client: TestClient, database: str) -> tuple[str, str]:
    """A new admin's token and the path of its project `shop`'s environment `dev`."""
    engine = open_engine(database)
    code = founding_invite(engine, "admin@example.com")
    engine.dispose()
    joined = client.post("/v1/invites/accept", json=joining(code, "admin@example.com")).json()
    token, workspace = joined["token"], joined["workspace_id"]
    client.headers["Authorization"] = f"Bearer {token}"
    env = {"id": str(uuid.uuid4()), "name": "dev", "sealed_share": KEY}
    made = client.post(
        f"/v1/workspaces/{workspace}/projects", json={"name": "shop", "environments": [env]}
    )
    assert made.status_code == 201, made.text
    return token, f"/v1/workspaces/{workspace}/projects/shop/environments/dev"


@pytest.fixture
def api(database: str) -> Iterator[tuple[TestClient, str]]:
    """A client of a server allowing ``ALLOWED``, logged in, and `shop/dev`'s path."""
    with TestClient(create_app(database, rate=0, cors_origins=(ALLOWED,))) as client:
        _token, path = _admin(client, database)
        yield client, path


def _cors_headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.startswith("access-control-")}


def _allowed(response: httpx.Response) -> None:
    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert "Origin" in response.headers.get_list("vary")
    assert response.headers["access-control-expose-headers"] == "ETag, Retry-After, X-Request-ID"
    assert "access-control-allow-credentials" not in response.headers


def test_an_allowed_origin_gets_cors_headers_from_the_hot_routes_and_fastapis(
    api: tuple[TestClient, str],
) -> None:
    client, path = api
    origin = {"Origin": ALLOWED}
    written = client.post(
        f"{path}/secrets", json={"writes": [secret_write(str(uuid.uuid4()), 1)]}, headers=origin
    )
    read = client.get(f"{path}/snapshot", headers=origin)  # both answered by `hot_routes`
    whoami = client.get("/v1/whoami", headers=origin)
    missing = client.get("/v1/nowhere", headers=origin)
    assert [r.status_code for r in (written, read, whoami, missing)] == [200, 200, 200, 404]
    for response in (written, read, whoami, missing):
        _allowed(response)
    assert read.headers["etag"] == written.headers["etag"]
    assert missing.headers["content-type"] == "application/problem+json"


def test_a_preflight_from_an_allowed_origin_is_answered_and_logged(
    api: tuple[TestClient, str],
) -> None:
    client, path = api
    with capture_logs() as logged:
        answer = client.options(f"{path}/secrets", headers={"Origin": ALLOWED, **PREFLIGHT})
    assert answer.status_code == 204
    _allowed(answer)
    assert answer.headers["access-control-allow-methods"] == "DELETE, GET, PATCH, POST"
    assert answer.headers["access-control-allow-headers"] == (
        "Authorization, Content-Type, If-Match, X-Request-ID"
    )
    assert answer.headers["access-control-max-age"] == "600"
    assert answer.headers["x-content-type-options"] == "nosniff"  # `Observe` answered it
    [line] = [line for line in logged if line["event"] == "request"]
    assert (line["method"], line["status"]) == ("OPTIONS", 204)
    assert line["request_id"] == answer.headers["x-request-id"]
    # named for the route it asks about, as the metrics label it (not `unmatched`)
    assert line["route"] == f"{PREFIX}/secrets"


def test_a_preflight_to_a_path_no_route_takes_stays_unmatched(
    api: tuple[TestClient, str],
) -> None:
    client, _path = api
    with capture_logs() as logged:
        answer = client.options("/v1/nowhere", headers={"Origin": ALLOWED, **PREFLIGHT})
    assert answer.status_code == 204
    [line] = [line for line in logged if line["event"] == "request"]
    assert line["route"] == "unmatched"


def test_another_origin_gets_no_cors_header_and_its_preflight_goes_on_to_the_routes(
    api: tuple[TestClient, str],
) -> None:
    client, path = api
    origin = {"Origin": OTHER}
    answers = [
        client.get(f"{path}/snapshot", headers=origin),
        client.get("/v1/whoami", headers=origin),
        client.options(f"{path}/secrets", headers={**origin, **PREFLIGHT}),
        client.options(f"{path}/secrets", headers={"Origin": "null", **PREFLIGHT}),
        client.get("/v1/whoami"),  # no Origin: not a cross-origin request
    ]
    assert [a.status_code for a in answers] == [200, 200, 405, 405, 200]
    for answer in answers:
        assert _cors_headers(answer) == {}
        # Yet each says it varies by Origin: a shared cache keeps it apart from an allowed one.
        assert "Origin" in answer.headers.get_list("vary")


def test_the_request_layers_own_refusals_carry_the_cors_headers(database: str) -> None:
    app = create_app(database, rate=1, max_body=1024, cors_origins=(ALLOWED,))
    with TestClient(app) as client:
        origin = {"Origin": ALLOWED}
        too_large = client.post("/v1/auth/prelogin", content=b"x" * 2048, headers=origin)
        answers = [client.get("/openapi.json", headers=origin) for _ in range(10)]
    assert too_large.status_code == 413
    _allowed(too_large)
    limited = [a for a in answers if a.status_code == 429]
    assert limited, "the burst must run out"
    _allowed(limited[0])  # so that a page can read its Retry-After
    assert limited[0].headers["retry-after"]


def test_cors_is_off_by_default_and_adds_no_layer(database: str) -> None:
    app = create_app(database, rate=0)
    assert type(app.front) is Observe  # nothing in front of it, nothing between it and the
    assert type(app.front.app) is HotRoutes  # hot routes: no cost to a server without CORS
    with TestClient(app) as client:
        _token, path = _admin(client, database)
        origin = {"Origin": ALLOWED}
        answers = [
            client.get(f"{path}/snapshot", headers=origin),
            client.get("/v1/whoami", headers=origin),
            client.options(f"{path}/secrets", headers={**origin, **PREFLIGHT}),
        ]
    assert [a.status_code for a in answers] == [200, 200, 405]
    for answer in answers:
        assert _cors_headers(answer) == {}


def test_the_methods_a_preflight_allows_are_every_method_of_the_api(database: str) -> None:
    paths = create_app(database, rate=0).openapi()["paths"]
    assert {method.upper() for path in paths.values() for method in path} == set(cors.METHODS)


def _json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_the_server_takes_cors_origin_and_logs_a_preflight(tmp_path: Path) -> None:
    server = start_server(tmp_path, None, "--cors-origin", ALLOWED)
    try:
        answer = httpx.options(f"{server.url}/v1/whoami", headers={"Origin": ALLOWED, **PREFLIGHT})
        other = httpx.get(f"{server.url}/healthz", headers={"Origin": OTHER})
    finally:
        server.stop()
    assert answer.status_code == 204
    _allowed(answer)
    assert _cors_headers(other) == {}
    logged = _json_lines(server.log.read_text())
    assert logged[0]["cors_origins"] == [ALLOWED]
    [line] = [x for x in logged if x.get("request_id") == answer.headers["x-request-id"]]
    assert (line["event"], line["method"], line["status"]) == ("request", "OPTIONS", 204)


def test_the_cli_refuses_a_wildcard_origin_with_exit_code_2_wherever_it_is_given(
    tmp_path: Path,
) -> None:
    config = tmp_path / "server.toml"
    config.write_text('cors_origins = ["*"]\n')
    url = sqlite_url(tmp_path / "one.db")
    for args, variables in [
        (("--cors-origin", "*"), {}),
        ((), {"ENVKEEP_SERVER_CORS_ORIGINS": "*"}),
        (("--config", str(config)), {}),
    ]:
        done = cli(tmp_path / "home", tmp_path, "server", "--db", url, *args, **variables)
        assert done.returncode == 2, done.stderr
        assert "'*' is refused: a wildcard would let any web page call the API" in done.stderr
        assert "name each web app that may call the API" in done.stderr
        assert "envkeep server on" not in done.stderr
