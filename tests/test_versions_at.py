"""``GET …/environments/{env}/versions?scope=…&at=…``: the version each secret of one scope held
at a time, in one answer and one audit event (what `rollback --to-time` reads), on SQLite and
on PostgreSQL. The server never opens a value, so any bytes stand in for the ciphertext."""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from envkeep.api.app import create_app
from envkeep.app import accounts
from envkeep.app.context import new_uuid, utc_now
from envkeep.store.models import AuditEvent

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy import Engine


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


KEY = b64(os.urandom(32))
LATER = "2999-01-01T00:00:00Z"


def _accept(code: str) -> dict[str, Any]:
    return {
        "code": code,
        "email": "admin@example.com",
        "encryption_public": KEY,
        "signing_public": KEY,
        "wrapped_private_keys": KEY,
        "kdf_salt": b64(b"s" * 16),
        "kdf": {"memory_kib": 65536, "iterations": 3, "lanes": 4},
        "auth_key": KEY,
    }


@pytest.fixture
def dev(engine: Engine, database: str) -> Iterator[tuple[TestClient, str]]:
    """An admin's client, and the path of environment dev of a new project shop."""
    with Session(engine) as session, session.begin():
        code = accounts.create_bootstrap_invite(
            session, email="admin@example.com", clock=utc_now, new_id=new_uuid
        )
    with TestClient(create_app(database, rate=0)) as client:
        joined = client.post("/v1/invites/accept", json=_accept(code)).json()
        client.headers["Authorization"] = f"Bearer {joined['token']}"
        project = f"/v1/workspaces/{joined['workspace_id']}/projects"
        env = {"id": str(uuid.uuid4()), "name": "dev", "sealed_share": KEY}
        made = client.post(project, json={"name": "shop", "environments": [env]})
        assert made.status_code == 201, made.text
        yield client, f"{project}/shop/environments/dev"


def _write(
    secret_id: str, expected: int, *, scope: str = "shared", deleted: bool = False
) -> dict[str, Any]:
    return {
        "secret_id": secret_id,
        "scope": scope,
        "name_index": b64(secret_id.encode()[:32]),
        "expected_version": expected,
        "key_version": 1,
        "name_ct": KEY,
        "value_ct": None if deleted else KEY,
        "signature": b64(b"x" * 64),
    }


def _written(client: TestClient, env: str, *writes: dict[str, Any]) -> str:
    """Write a batch; the time its versions hold (to the second), once the clock is past it."""
    answer = client.post(f"{env}/secrets", json={"writes": list(writes)})
    assert answer.status_code == 200, answer.text
    versions = client.get(f"{env}/secrets/{writes[0]['secret_id']}/versions").json()["versions"]
    moment: str = versions[-1]["created_at"]
    while datetime.now(UTC) < datetime.fromisoformat(moment).replace(microsecond=999_999):
        time.sleep(0.02)
    return moment


def _held(client: TestClient, env: str, at: str, scope: str = "shared") -> dict[str, Any]:
    answer = client.get(f"{env}/versions", params={"scope": scope, "at": at})
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()
    return data


def _versions(data: dict[str, Any]) -> dict[str, tuple[int, bool]]:
    return {v["secret_id"]: (v["version"], v["value_ct"] is None) for v in data["versions"]}


def test_each_secret_of_the_scope_answers_its_last_version_at_or_before_the_time(
    dev: tuple[TestClient, str],
) -> None:
    client, env = dev
    api = client.post(f"{env.rsplit('/environments', 1)[0]}/services", json={"name": "api"})
    in_api = f"service:{api.json()['id']}"
    then = _written(client, env, _write("s1", 0), _write("s2", 0), _write("s3", 0, scope=in_api))
    _written(client, env, _write("s1", 1), _write("s2", 1, deleted=True), _write("s4", 0))

    at_then, now, before = (_held(client, env, at) for at in (then, LATER, "2000-01-01"))

    assert _versions(at_then) == {"s1": (1, False), "s2": (1, False)}  # not s4, nor api's s3
    assert _versions(now) == {"s1": (2, False), "s2": (2, True), "s4": (1, False)}
    assert before == {"versions": [], "authors": []}
    assert [a["name"] for a in at_then["authors"]] == ["admin@example.com"]
    assert _versions(_held(client, env, LATER, in_api)) == {"s3": (1, False)}
    # An offset is a time like any other: the same second, written in another zone.
    elsewhere = datetime.fromisoformat(then).astimezone(timezone(timedelta(hours=-5)))
    assert _versions(_held(client, env, elsewhere.isoformat())) == _versions(at_then)


def test_a_scope_of_more_secrets_than_one_statement_reads_answers_each_of_them(
    dev: tuple[TestClient, str],
) -> None:
    client, env = dev
    many = [f"s{n:04d}" for n in range(1_201)]  # the rows are read 500 to a statement
    _written(client, env, *(_write(secret, 0) for secret in many))
    _written(client, env, *(_write(secret, 1) for secret in many[::2]))

    held = _held(client, env, LATER)

    assert _versions(held) == {s: (2 if n % 2 == 0 else 1, False) for n, s in enumerate(many)}
    assert {v["value_ct"] for v in held["versions"]} == {KEY}


def _events(engine: Engine) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


def test_one_read_of_a_scope_is_one_audit_event(
    dev: tuple[TestClient, str], engine: Engine
) -> None:
    client, env = dev
    _written(client, env, *(_write(f"s{n}", 0) for n in range(25)))
    before = len(_events(engine))

    _held(client, env, "2999-01-01T01:00:00+01:00")

    events = _events(engine)[before:]
    assert [(e.action, e.target) for e in events] == [("secrets.history", "shop/dev")]
    details = json.loads(events[0].details)
    assert details.pop("project_id") == events[0].project_id is not None  # shop's
    assert details == {"scope": "shared", "at": "2999-01-01T00:00:00Z", "secrets": 25}


@pytest.mark.parametrize(
    ("at", "status"),
    [("yesterday", 400), ("0001-01-01T00:00:00+01:00", 400), ("9999-12-31T23:59:59-01:00", 400)],
)
def test_a_time_that_is_not_one_is_refused(
    dev: tuple[TestClient, str], at: str, status: int
) -> None:
    client, env = dev

    answer = client.get(f"{env}/versions", params={"scope": "shared", "at": at})

    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "usage"


def test_a_request_without_a_scope_or_a_time_is_refused(dev: tuple[TestClient, str]) -> None:
    client, env = dev

    answers = [
        client.get(f"{env}/versions", params={"scope": "shared"}),
        client.get(f"{env}/versions", params={"at": LATER}),
    ]

    assert [a.status_code for a in answers] == [422, 422]
