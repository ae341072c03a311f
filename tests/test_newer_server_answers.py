"""A CLI older than its server: every answer it reads may carry fields it does not know (the
server is upgraded first, the laptops and CI jobs over weeks). They are ignored, at every level
of nesting, and what the client knows of the answer comes through intact; the server itself
still refuses a request with a field it does not know (tests/test_api.py)."""

from __future__ import annotations

import ast
import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from envkeep.client.api_client import ApiClient
from envkeep.client.http import HttpBackend, raise_problem
from envkeep.core import errors
from envkeep.core.auditchain import AuditQuery
from tests.server import TeamServer, join, start_server
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

CLIENT = Path(__file__).resolve().parents[1] / "src" / "envkeep" / "client"
UNKNOWN = "added_by_a_newer_server"


def with_unknown_fields(answer: Any, *, maps: frozenset[str] = frozenset({"names"})) -> Any:
    """``answer`` with a member no model knows added to every object in it, the top one and
    every nested one; the dicts under ``maps`` are maps (id → name), not objects: left alone."""
    if isinstance(answer, list):
        return [with_unknown_fields(item, maps=maps) for item in answer]
    if not isinstance(answer, dict):
        return answer
    added: dict[str, Any] = {
        k: v if k in maps else with_unknown_fields(v, maps=maps) for k, v in answer.items()
    }
    return added | {UNKNOWN: {"said": "by a newer server", "nested": [1, {"deeper": True}]}}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


KEY = _b64(bytes(range(32)))
PRINCIPAL = {
    "id": "u1",
    "kind": "user",
    "name": "alice@x.io",
    "encryption_public": KEY,
    "signing_public": KEY,
}
VERSION = {
    "secret_id": "s1",
    "scope": "shared",
    "version": 2,
    "key_version": 1,
    "name_ct": _b64(b"name"),
    "value_ct": _b64(b"value"),
    "author_id": "u1",
    "signature": _b64(b"signed"),
    "created_at": "2025-01-02T03:04:05Z",
}
ENVIRONMENT = {
    "id": "e1",
    "project_id": "p1",
    "name": "dev",
    "key_version": 1,
    "revision": 7,
    "protected": False,
    "description": "the developers'",
    "former_holders": 0,
}
SERVICE = {
    "id": "v1",
    "project_id": "p1",
    "name": "api",
    "path": "services/api",
    "schema_path": None,
    "health_url": None,
}
PROJECT = {"id": "p1", "workspace_id": "w1", "name": "shop"}
SNAPSHOT = {
    "project": PROJECT,
    "environment": ENVIRONMENT,
    "services": [SERVICE],
    "shares": [
        {
            "environment_id": "e1",
            "key_version": 1,
            "recipient_id": "u1",
            "sharer": PRINCIPAL,
            "sealed": _b64(b"sealed"),
        }
    ],
    "secrets": [{"id": "s1", "scope": "shared", "name_index": _b64(b"index"), "current": VERSION}],
    "authors": [PRINCIPAL],
    "role": "write",
}
AUDIT_PAGE = {
    "events": [
        {
            "workspace_id": "w1",
            "seq": 1,
            "at": "2025-01-02T03:04:05Z",
            "principal_id": "u1",
            "action": "secrets.write",
            "target": "shop/dev",
            "outcome": "ok",
            "request_id": "r1",
            "ip": "127.0.0.1",
            "details": "{}",
            "prev_hash": "0" * 64,
            "hash": "1" * 64,
        }
    ],
    "next_after": None,
    "names": {"u1": "alice@x.io"},
}

# What the HTTP backend asks the server, and the answer a server of this version gives.
CALLS: dict[str, tuple[Any, Callable[[HttpBackend], object]]] = {
    "snapshot": (SNAPSHOT, lambda b: b.read_environment("shop", "dev", None)),
    "history": (
        {"versions": [VERSION], "authors": [PRINCIPAL]},
        lambda b: b.secret_history("shop", "dev", "s1"),
    ),
    "versions at": (
        {"versions": [VERSION], "authors": [PRINCIPAL]},
        lambda b: b.versions_at("shop", "dev", "shared", datetime(2025, 1, 2, tzinfo=UTC)),
    ),
    "audit page": (AUDIT_PAGE, lambda b: b.audit_events(AuditQuery())),
    "environments": ([ENVIRONMENT], lambda b: b.list_environments("shop")),
    "environment changed": (
        ENVIRONMENT,
        lambda b: b.update_environment("shop", "dev", rename=None, description="x", protected=None),
    ),
    "services": ([SERVICE], lambda b: b.list_services("shop")),
    "new project": (
        {"project": PROJECT, "environments": ["dev"]},
        lambda b: b.create_project("shop", []),
    ),
    "write": ({"revision": 8}, lambda b: b.write_secrets("shop", "dev", [])),
}


def _backend(answer: Any) -> HttpBackend:
    transport = httpx.MockTransport(lambda _request: httpx.Response(200, json=answer))
    return HttpBackend(ApiClient("http://envkeep.test", transport=transport), "w1")


def _read(kind: str, answer: Any) -> object:
    backend = _backend(answer)
    try:
        return CALLS[kind][1](backend)
    finally:
        backend.close()


@pytest.mark.parametrize("kind", sorted(CALLS))
def test_an_answer_with_fields_the_client_does_not_know_reads_as_the_known_ones(
    kind: str,
) -> None:
    answer = CALLS[kind][0]

    assert _read(kind, with_unknown_fields(answer)) == _read(kind, answer)


def test_a_snapshot_from_a_newer_server_keeps_every_known_field_at_every_level() -> None:
    backend = _backend(with_unknown_fields(SNAPSHOT))
    snapshot = backend.read_environment("shop", "dev", None)
    backend.close()

    assert (snapshot.project.name, snapshot.environment.revision, snapshot.role) == (
        "shop",
        7,
        "write",
    )
    assert [s.path for s in snapshot.services] == ["services/api"]
    assert [(s.sharer.name, s.sealed) for s in snapshot.shares] == [("alice@x.io", b"sealed")]
    assert [(s.current.version, s.current.value_ct) for s in snapshot.secrets] == [(2, b"value")]


def test_an_audit_page_from_a_newer_server_keeps_its_events_and_names() -> None:
    backend = _backend(with_unknown_fields(AUDIT_PAGE))
    page = backend.audit_events(AuditQuery())
    backend.close()

    assert [(e.seq, e.hash) for e in page.events] == [(1, "1" * 64)]
    assert page.names == {"u1": "alice@x.io"}


def _problem(body: dict[str, Any], status: int) -> httpx.Response:
    request = httpx.Request("GET", "http://envkeep.test/v1/workspaces/w1/members")
    headers = {"content-type": "application/problem+json"}
    return httpx.Response(status, json=body, headers=headers, request=request)


def test_a_problem_with_members_the_client_does_not_know_raises_the_same_error() -> None:
    body = {
        "type": "https://envkeep.dev/problems/permission_denied",
        "title": "you need write on shop/dev",
        "status": 403,
        "code": "permission_denied",
        "hint": "ask an admin",
        "needed": "write",
        "scope": "environment",
    }
    raised = []
    for answer in (body, with_unknown_fields(body)):
        with pytest.raises(errors.PermissionDenied) as refused:
            raise_problem(_problem(answer, 403))
        error = refused.value
        raised.append((error.message, error.hint, error.needed, error.scope))

    known = ("you need write on shop/dev", "ask an admin", "write", "environment")
    assert raised == [known, known]


# Request bodies this client builds itself and sends: validated strictly, so that a mistake
# here shows at once instead of as the server's 422. Never an answer.
REQUEST_BODIES = {"SecretWrite", "NewShare", "NewEnvironment"}


def _validated_models(path: Path) -> list[str]:
    """``Model`` for every ``schemas.Model.model_validate…(…)`` call in ``path`` (a call on a
    bare name as ``?``)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr.startswith("model_validate")
        ):
            continue
        receiver = node.func.value
        found.append(receiver.attr if isinstance(receiver, ast.Attribute) else "?")
    return found


def test_every_answer_the_client_reads_into_a_model_goes_through_read_answer() -> None:
    """The models forbid unknown fields (right for the server's requests): an answer read with
    ``Model.model_validate`` would fail on the first field a newer server adds."""
    strict = [
        f"{path.name}: {model}"
        for path in sorted(CLIENT.rglob("*.py"))
        if path.name != "answers.py"
        for model in _validated_models(path)
        if model not in REQUEST_BODIES
    ]

    assert strict == []


# -- against a real server whose every answer carries fields this client does not know ------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("newer-server"))
    yield running
    running.stop()


@pytest.fixture
def newer_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every answer this process's client decodes, as a newer server would send it."""
    request = ApiClient.request

    def newer(self: ApiClient, method: str, path: str, **kwargs: Any) -> Any:
        return with_unknown_fields(request(self, method, path, **kwargs))

    monkeypatch.setattr(ApiClient, "request", newer)


@pytest.mark.usefixtures("newer_answers")
def test_the_daily_loop_works_against_a_server_that_adds_fields_everywhere(
    server: TeamServer, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    alice, bob = tmp_path / "alice", tmp_path / "bob"

    def a(*args: str, **extra: str) -> str:
        return _ok(alice, work, *args, **extra)

    join(server, alice, work, server.invite("alice@newer.io"), "alice@newer.io")
    a("init", "shop", "--env", "dev", "--env", "prod")
    a("set", "DATABASE_URL=postgres://db/shop", "--env", "dev")
    a("set", "DATABASE_URL=postgres://db/shop2", "--env", "dev")
    assert a("get", "DATABASE_URL", "--env", "dev").strip() == "postgres://db/shop2"
    assert "postgres://db/shop" in a("history", "DATABASE_URL", "--env", "dev", "--reveal")

    code = a("member", "invite", "bob@newer.io", "--role", "write", "--project", "shop").strip()
    join(server, bob, work, code, "bob@newer.io")
    a("member", "grant", "bob@newer.io", "write", "--project", "shop")
    members = json.loads(a("member", "list", "--json"))
    assert {(m["principal"]["name"], m["role"]) for m in members} == {
        ("alice@newer.io", "admin"),
        ("bob@newer.io", "write"),
    }
    a("env", "create", "qa")  # the new key sealed to bob (keys-missing)
    a("set", "PORT=8080", "--env", "qa")
    assert _ok(bob, work, "get", "PORT", "--env", "qa").strip() == "8080"
    a("env", "rotate-key", "dev")  # re-sealed to every reader
    assert _ok(bob, work, "get", "DATABASE_URL", "--env", "dev").strip() == "postgres://db/shop2"

    token = a("token", "create", "ci", "--project", "shop", "--env", "dev", "--role", "read")
    [listed] = json.loads(a("token", "list", "--json"))
    assert (listed["label"], listed["role"], listed["project"]) == ("ci", "read", "shop")
    exported = _ok(tmp_path / "ci", work, "export", "--env", "dev", ENVKEEP_TOKEN=token.strip())
    assert "postgres://db/shop2" in exported

    assert "alice@newer.io" in a("whoami")
    assert "default" in a("workspace", "list")
    a("session", "list")
    assert "secrets.write" in a("audit")
    a("audit", "verify")


@pytest.mark.parametrize("kind", sorted(CALLS))
def test_an_answer_with_a_known_field_of_the_wrong_type_is_refused_naming_it(kind: str) -> None:
    """A server (or a proxy) that answers with a field of the wrong type is no envkeep server:
    refused as one (exit 5), naming the field, not as a bug in envkeep."""
    answer = json.loads(json.dumps(CALLS[kind][0]))
    target = answer[0] if isinstance(answer, list) else answer
    first = next(iter(target))
    target[first] = {"not": "what envkeep sends"} if first != "events" else "not a list"

    with pytest.raises(errors.NotAnEnvkeepRoute) as refused:
        _read(kind, answer)

    assert refused.value.exit_code == 5
    assert f"{first}" in refused.value.message
    assert "is not an envkeep" in refused.value.message
    assert refused.value.hint is not None
