"""The snapshot and write routes answered ahead of FastAPI (``api.hot_routes``) answer exactly
as FastAPI's own routes do; concurrent reads each get their audit event in one intact chain;
the snapshot cache never outlives what it was read from — on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from structlog.testing import capture_logs

from envkeep.api.app import create_app
from envkeep.app import accounts, audited_reads
from envkeep.app.audit import event_view, verify_chain
from envkeep.app.context import new_uuid, utc_now
from envkeep.store.models import AuditEvent
from tests.authz_support import KEY, b64, joining

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from fastapi import FastAPI
    from sqlalchemy import Engine


def _join(client: TestClient, engine: Engine, email: str) -> dict[str, Any]:
    with Session(engine) as session, session.begin():
        code = accounts.create_bootstrap_invite(
            session, email=email, clock=utc_now, new_id=new_uuid
        )
    body = joining(code, email)
    response = client.post("/v1/invites/accept", json=body)
    assert response.status_code == 201, response.text
    joined: dict[str, Any] = response.json()
    return joined


def _write(
    scope: str = "shared", expected: int = 0, secret_id: str | None = None
) -> dict[str, Any]:
    return {
        "secret_id": secret_id or str(uuid.uuid4()),
        "scope": scope,
        "name_index": b64(os.urandom(32)),
        "expected_version": expected,
        "key_version": 1,
        "name_ct": b64(os.urandom(40)),
        "value_ct": b64(os.urandom(60)),
        "signature": b64(os.urandom(64)),
    }


def _fastapi_only(database: str) -> FastAPI:
    """The same app without the hot routes: every request goes through FastAPI's router."""
    return create_app(database, rate=0, hot_routes=False)


@pytest.fixture
def apps(engine: Engine, database: str) -> Iterator[tuple[TestClient, TestClient, str, str]]:
    """(hot, plain) clients on one database, the admin's token and `shop/dev`'s path."""
    with (
        TestClient(create_app(database, rate=0)) as hot,
        TestClient(_fastapi_only(database)) as plain,
    ):
        admin = _join(hot, engine, "admin@example.com")
        token, workspace = admin["token"], admin["workspace_id"]
        hot.headers["Authorization"] = plain.headers["Authorization"] = f"Bearer {token}"
        env = {"id": str(uuid.uuid4()), "name": "dev", "sealed_share": KEY}
        created = hot.post(
            f"/v1/workspaces/{workspace}/projects", json={"name": "shop", "environments": [env]}
        )
        assert created.status_code == 201, created.text
        services = f"/v1/workspaces/{workspace}/projects/shop/services"
        assert hot.post(services, json={"name": "api"}).status_code == 201
        path = f"/v1/workspaces/{workspace}/projects/shop/environments/dev"
        assert hot.post(f"{path}/secrets", json={"writes": [_write()]}).status_code == 200
        yield hot, plain, token, path


def _headers(response: httpx.Response) -> list[tuple[str, str]]:
    """The response's headers in order, the request id (the server's own, each time new)
    marked as present."""
    return [(k, "(id)" if k == "x-request-id" else v) for k, v in response.headers.multi_items()]


def _same(hot: TestClient, plain: TestClient, method: str, url: str, **kw: Any) -> httpx.Response:
    headers = {"X-Request-ID": "same", **kw.pop("headers", {})}
    got: httpx.Response = hot.request(method, url, headers=headers, **kw)
    expected = plain.request(method, url, headers=headers, **kw)
    assert (got.status_code, got.content) == (expected.status_code, expected.content), url
    assert _headers(got) == _headers(expected), url
    return got


READS = [
    ("", {}, 200),
    ("?service=api", {}, 200),
    ("?service=api&service=api", {}, 200),
    ("?service=nope", {}, 404),
    ("?all_scopes=true", {}, 200),
    ("?all_scopes=false&service=api", {}, 200),
    ("?all_scopes=maybe", {}, 422),
    ("?other=1", {}, 200),
    ("", {"Authorization": ""}, 401),
    ("", {"Authorization": "Basic abc"}, 401),
    ("", {"Authorization": "Bearer not-a-token"}, 401),
]


@pytest.mark.parametrize(("query", "headers", "status"), READS)
def test_a_snapshot_is_answered_exactly_as_fastapi_answers_it(
    apps: tuple[TestClient, TestClient, str, str],
    query: str,
    headers: dict[str, str],
    status: int,
) -> None:
    hot, plain, _token, path = apps
    got = _same(hot, plain, "GET", f"{path}/snapshot{query}", headers=headers)
    assert got.status_code == status
    if status != 200:
        assert got.headers["content-type"] == "application/problem+json"


def test_strangers_and_unknown_names_are_answered_as_fastapi_answers_them(
    apps: tuple[TestClient, TestClient, str, str],
) -> None:
    hot, plain, _token, path = apps
    other = path.replace(path.split("/")[3], str(uuid.uuid4()))
    assert _same(hot, plain, "GET", f"{other}/snapshot").status_code == 403
    assert (
        _same(hot, plain, "GET", path.replace("/shop/", "/nope/") + "/snapshot").status_code == 404
    )
    assert _same(hot, plain, "GET", path.replace("/dev", "/prod") + "/snapshot").status_code == 404


WRITE_ERRORS = [
    ({"content": b"{not json"}, 422),
    ({"json": {"writes": [{"scope": "shared"}]}}, 422),
    ({"json": {"writes": [_write()], "force": True}}, 422),  # a field the server does not know
    ({"json": {"writes": [_write() | {"force": True}]}}, 422),  # ... in a nested object
    ({"content": b'{"writes": []}', "headers": {"Content-Type": "text/plain"}}, 422),
    ({"json": {"writes": []}}, 400),
    ({"json": {"writes": [_write()]}, "headers": {"Authorization": ""}}, 401),
    ({"json": {"writes": [_write()]}, "headers": {"If-Match": '"abc"'}}, 409),
    ({"json": {"writes": [_write()]}, "headers": {"If-Match": '"0"'}}, 409),
    ({"json": {"writes": [_write(expected=3)]}}, 409),
    ({"json": {"writes": [_write(scope="service:nope")]}}, 400),
]


@pytest.mark.parametrize(("request_kw", "status"), WRITE_ERRORS)
def test_a_refused_write_is_answered_exactly_as_fastapi_answers_it(
    apps: tuple[TestClient, TestClient, str, str], request_kw: dict[str, Any], status: int
) -> None:
    hot, plain, _token, path = apps
    got = _same(hot, plain, "POST", f"{path}/secrets", **request_kw)
    assert got.status_code == status
    assert got.json()["status"] == status  # problem+json
    assert hot.get(f"{path}/snapshot").headers["etag"] == '"1"'  # nothing was written


def test_a_write_answers_as_fastapi_answers_it(
    apps: tuple[TestClient, TestClient, str, str],
) -> None:
    hot, plain, _token, path = apps
    first = hot.post(f"{path}/secrets", json={"writes": [_write()]}, headers={"If-Match": '"1"'})
    second = plain.post(f"{path}/secrets", json={"writes": [_write()]}, headers={"If-Match": '"2"'})
    assert (first.status_code, first.json()["revision"], first.headers["etag"]) == (200, 2, '"2"')
    assert (second.status_code, second.json()["revision"], second.headers["etag"]) == (
        200,
        3,
        '"3"',
    )
    assert first.json().keys() == second.json().keys() == {"revision", "written_at"}
    assert [k for k, _ in first.headers.multi_items() if k != "x-request-id"] == [
        k for k, _ in second.headers.multi_items() if k != "x-request-id"
    ]
    assert len(hot.get(f"{path}/snapshot").json()["secrets"]) == 3


def test_a_revoked_session_cannot_read_the_next_moment(
    apps: tuple[TestClient, TestClient, str, str],
) -> None:
    hot, _plain, _token, path = apps
    assert hot.get(f"{path}/snapshot").status_code == 200
    assert hot.post("/v1/auth/logout").status_code == 204
    assert hot.get(f"{path}/snapshot").status_code == 401


def _events(engine: Engine) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


@contextlib.asynccontextmanager
async def _in_process(
    database: str, token: str
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """A server app on ``database`` and a client of it bearing ``token``, in this event loop
    (requests sent together reach the app together); its database closed afterwards."""
    app = create_app(database, rate=0)
    headers = {"Authorization": f"Bearer {token}"}
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://t", headers=headers
        ) as api:
            yield app, api
    finally:
        app.state.envkeep.close()


def test_concurrent_reads_each_append_one_event_to_an_intact_chain(
    apps: tuple[TestClient, TestClient, str, str], engine: Engine, database: str
) -> None:
    _hot, _plain, token, path = apps
    before = len(_events(engine))

    async def read_all(count: int) -> list[int]:
        async with _in_process(database, token) as (_app, api):
            answers = await asyncio.gather(*(api.get(f"{path}/snapshot") for _ in range(count)))
        return [a.status_code for a in answers]

    assert asyncio.run(read_all(24)) == [200] * 24
    events = _events(engine)
    assert [e.action for e in events[before:]] == ["secrets.read"] * 24
    assert verify_chain([event_view(e) for e in events]) is None


def test_concurrent_writes_share_commits_and_each_gets_its_own_answer_and_event(
    apps: tuple[TestClient, TestClient, str, str], engine: Engine, database: str
) -> None:
    # Half the writers add a variable each; the other half all replace one variable's
    # version 1, so exactly one of them wins and the rest are refused, each alone.
    hot, _plain, token, path = apps
    contested = _write()
    assert hot.post(f"{path}/secrets", json={"writes": [contested]}).status_code == 200
    before = len(_events(engine))
    fresh = [_write() for _ in range(12)]
    rivals = [_write(expected=1, secret_id=contested["secret_id"]) for _ in range(12)]
    for rival in rivals:  # the same variable: same name index
        rival["name_index"] = contested["name_index"]
    commits: list[str] = []

    async def write_all() -> list[int]:
        async with _in_process(database, token) as (app, api):
            await api.get(f"{path}/snapshot")  # on SQLite, the group commit's connection made
            found = app.state.envkeep.group_commit
            if found is not None:
                assert found._connection is not None
                driver = found._connection.connection.dbapi_connection
                driver.set_trace_callback(
                    lambda sql: commits.append(sql) if sql.strip().upper() == "COMMIT" else None
                )
            mixed = [w for pair in zip(fresh, rivals, strict=True) for w in pair]
            answers = await asyncio.gather(
                *(api.post(f"{path}/secrets", json={"writes": [w]}) for w in mixed)
            )
        return [a.status_code for a in answers]

    statuses = asyncio.run(write_all())
    assert statuses[0::2] == [200] * 12  # every new variable
    assert sorted(statuses[1::2]) == [200] + [409] * 11  # one rival won
    if engine.dialect.name == "sqlite":
        assert 0 < len(commits) < 13  # the writes shared transactions
    events = _events(engine)[before:]
    assert [e.action for e in events] == ["secrets.read"] + ["secrets.write"] * 13  # one a 200
    assert verify_chain([event_view(e) for e in _events(engine)]) is None
    snapshot = hot.get(f"{path}/snapshot")
    assert snapshot.headers["etag"] == f'"{2 + 13}"'
    assert len(snapshot.json()["secrets"]) == 2 + 12


def test_a_read_after_a_change_sees_the_change(
    apps: tuple[TestClient, TestClient, str, str],
) -> None:
    hot, _plain, _token, path = apps
    project = path.rsplit("/environments/", 1)[0]
    service_id = hot.get(f"{project}/services").json()[0]["id"]
    assert len(hot.get(f"{path}/snapshot?all_scopes=true").json()["secrets"]) == 1
    written = hot.post(f"{path}/secrets", json={"writes": [_write(f"service:{service_id}")]})
    assert written.status_code == 200
    assert len(hot.get(f"{path}/snapshot?all_scopes=true").json()["secrets"]) == 2
    # Removing a service deletes its variables in a new revision of the environment: the
    # cached snapshot of revision 2 no longer answers, nor does its ETag.
    assert hot.delete(f"{project}/services/api").status_code == 204
    after = hot.get(f"{path}/snapshot?all_scopes=true")
    assert (len(after.json()["secrets"]), after.headers["etag"]) == (1, '"3"')


def test_an_environment_made_again_under_its_old_id_starts_empty(
    apps: tuple[TestClient, TestClient, str, str],
) -> None:
    hot, _plain, _token, path = apps
    project = path.rsplit("/environments/", 1)[0]
    env = {"id": str(uuid.uuid4()), "name": "qa", "sealed_share": KEY}
    assert hot.post(f"{project}/environments", json=env).status_code == 201
    qa = f"{project}/environments/qa"
    old = _write()
    assert hot.post(f"{qa}/secrets", json={"writes": [old]}).status_code == 200
    assert [s["id"] for s in hot.get(f"{qa}/snapshot").json()["secrets"]] == [old["secret_id"]]
    assert hot.delete(qa).status_code == 204
    assert hot.post(f"{project}/environments", json=env).status_code == 201
    new = _write()
    assert hot.post(f"{qa}/secrets", json={"writes": [new]}).status_code == 200
    again = hot.get(f"{qa}/snapshot")
    assert (again.headers["etag"], [s["id"] for s in again.json()["secrets"]]) == (
        '"1"',
        [new["secret_id"]],
    )


def test_an_unexpected_error_is_answered_as_fastapi_answers_it(
    apps: tuple[TestClient, TestClient, str, str],
    database: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _hot, _plain, token, path = apps

    def broken(*_args: object, **_kw: object) -> None:
        raise RuntimeError("a bug near PLANTED-s3cr3t-value")

    monkeypatch.setattr(audited_reads, "read_environment", broken)
    answers = []
    for hot_routes in (True, False):
        app = create_app(database, rate=0, hot_routes=hot_routes)
        # The traceback's log line is captured, not rendered: its rendering with locals, a
        # second and more, is the log's concern (tests/test_requestlog.py), not this test's.
        with capture_logs(), TestClient(app, raise_server_exceptions=False) as client:
            got = client.get(
                f"{path}/snapshot",
                headers={"Authorization": f"Bearer {token}", "X-Request-ID": "x"},
            )
        request_id = got.headers["x-request-id"]
        assert got.json()["request_id"] == request_id  # the id its log line carries
        body = got.content.replace(request_id.encode(), b"(id)")  # new on each request
        answers.append((got.status_code, body, _headers(got)))
    assert answers[0] == answers[1]
    status, body, headers = answers[0]
    assert (status, dict(headers)["content-type"]) == (500, "application/problem+json")
    assert b'"code":"internal"' in body
    assert b"(request id (id))" in body
    assert b"PLANTED" not in body
    assert b"bug" not in body
