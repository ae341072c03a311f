"""`/docs` renders under a Content-Security-Policy of its own (`api/docs_page.py`): the strict
policy every other answer carries would block Swagger UI's script and stylesheet, leaving a
blank page. Its policy lets in what the page loads and runs, and no more."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from envkeep.api.app import create_app
from envkeep.api.docs_page import page_policy
from envkeep.api.observability import SECURITY_HEADERS

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy import Engine


@pytest.fixture
def client(engine: Engine, database: str) -> Iterator[TestClient]:
    with TestClient(create_app(database)) as api:
        yield api


def _directives(policy: str) -> dict[str, list[str]]:
    found = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        found[name] = sources
    return found


def test_the_docs_page_may_load_and_run_what_it_holds_and_nothing_else(
    client: TestClient,
) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    policies = page.headers.get_list("content-security-policy")
    assert len(policies) == 1  # a second policy would apply too, and block the page
    policy = _directives(policies[0])
    html = page.text
    scripts = re.findall(r'<script src="([^"]+)"', html)
    sheets = re.findall(r'<link type="text/css" rel="stylesheet" href="([^"]+)"', html)
    inline = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    assert scripts  # Swagger UI's page, as FastAPI renders it
    assert sheets
    assert inline
    for url in scripts:  # the file itself, not its host: a CDN serves any package
        assert url in policy["script-src"], url
    for url in sheets:
        assert url in policy["style-src"], url
    assert not any(source.endswith(".net") for source in policy["script-src"])
    for url in [*scripts, *sheets]:  # one release, and only its exact bytes run
        assert "@5." in url, url
        assert f'"{url}" integrity="sha384-' in html, url
    for body in inline:  # each inline script by its hash: no other inline script runs
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy["script-src"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert policy["default-src"] == ["'none'"]
    assert policy["connect-src"] == ["'self'"]  # "Try it out" asks this server only
    assert policy["frame-ancestors"] == ["'none'"]
    assert "fastapi.tiangolo.com" not in html  # no favicon fetched from FastAPI's site
    assert page.headers["x-frame-options"] == "DENY"


def test_every_other_answer_keeps_the_strict_policy_and_redoc_is_gone(client: TestClient) -> None:
    for path in ("/openapi.json", "/healthz", "/docs/oauth2-redirect", "/redoc"):
        answer = client.get(path)
        assert answer.headers.get_list("content-security-policy") == [
            SECURITY_HEADERS["Content-Security-Policy"]
        ], path
    assert client.get("/redoc").status_code == 404
    assert client.get("/docs/oauth2-redirect").status_code == 404


def test_a_page_policy_names_each_file_and_hashes_each_inline_script() -> None:
    html = (
        '<link type="text/css" rel="stylesheet" href="https://a.example/x.css">'
        '<script src="https://a.example/x.js"></script><script src="https://b.example/y.js">'
        "</script><script>go()</script>"
    )
    policy = _directives(page_policy(html))
    digest = base64.b64encode(hashlib.sha256(b"go()").digest()).decode()
    assert policy["script-src"] == [
        "https://a.example/x.js",
        "https://b.example/y.js",
        f"'sha256-{digest}'",
    ]
    assert policy["style-src"] == ["https://a.example/x.css", "'unsafe-inline'"]
