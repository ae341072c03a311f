"""Schemathesis against the server's own /openapi.json (bounded): no input makes it fail with a
5xx, and no authenticated route answers without a token."""

from __future__ import annotations

import base64
import os
from typing import TYPE_CHECKING, Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from sqlalchemy.orm import Session

from envkeep.api.app import create_app
from envkeep.app import accounts
from envkeep.app.context import new_uuid, utc_now
from envkeep.store.engine import open_engine
from envkeep.store.migrate import upgrade

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from fastapi import FastAPI

PUBLIC = {
    "/healthz",
    "/readyz",
    "/metrics",
    "/v1/auth/prelogin",
    "/v1/auth/login",
    "/v1/invites/accept",
}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, str]]:
    """The app over a fresh database, with one admin's bearer token."""
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'server.db'}"
    engine = open_engine(url)
    upgrade(engine)
    with Session(engine) as session, session.begin():
        code = accounts.create_bootstrap_invite(
            session, email="a@x.io", clock=utc_now, new_id=new_uuid
        )
    engine.dispose()
    app = create_app(url, rate=0)
    key = _b64(os.urandom(32))
    with TestClient(app) as client:
        joined = client.post(
            "/v1/invites/accept",
            json={
                "code": code,
                "email": "a@x.io",
                "encryption_public": key,
                "signing_public": key,
                "wrapped_private_keys": key,
                "kdf_salt": key,
                "auth_key": key,
                "kdf": {"memory_kib": 65536, "iterations": 3, "lanes": 4},
            },
        ).json()
        yield app, joined["token"]


def test_no_input_makes_the_server_fail(served: tuple[FastAPI, str]) -> None:
    app, token = served
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 25
    failures: list[str] = []
    calls: list[int] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def fuzz(case: Any) -> None:
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            calls.append(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code}")

        fuzz()
    assert failures == []
    assert len(calls) >= 3 * len(operations)  # the fuzzing really ran


def test_every_route_but_the_public_ones_refuses_a_request_without_a_token(
    served: tuple[FastAPI, str], tmp_path: Path
) -> None:
    app = served[0]
    spec = app.openapi()
    checked = 0
    with TestClient(app) as client:
        for path, methods in spec["paths"].items():
            if path in PUBLIC:
                continue
            concrete = path.replace("{", "").replace("}", "")
            for method in methods:
                answer = client.request(method.upper(), concrete, json={})
                assert answer.status_code == 401, f"{method.upper()} {path} -> {answer.status_code}"
                checked += 1
    assert checked >= 20
