"""`/openapi.json` describes the errors the server really sends (`api/openapi_errors.py`):
problem+json with one `Problem` schema, never FastAPI's own 422, on each operation the statuses
it can answer with; and real error answers, provoked here, validate against the schema the
document gives for their operation and status."""

from __future__ import annotations

import ast
import base64
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from structlog.testing import capture_logs

from envkeep.api import openapi_errors
from envkeep.api.app import create_app
from envkeep.api.problems import MEDIA_TYPE
from envkeep.app import accounts, audited_reads, credentials, invite_codes, workspaces, writes
from envkeep.app.context import new_uuid, utc_now
from envkeep.core import errors
from envkeep.store.engine import open_engine, sqlite_url
from envkeep.store.migrate import upgrade
from tests.authz_support import founding_invite
from tests.test_authz_matrix import POLICY, UNAUTHENTICATED

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import httpx

SRC = Path(__file__).resolve().parents[1] / "src" / "envkeep"
WS = "/v1/workspaces/{workspace_id}"
ENV = f"{WS}/projects/{{project}}/environments/{{environment}}"
# The public routes that check a credential of their own: a login key, an invite's code.
CHECK_A_CREDENTIAL = {("POST", "/v1/auth/login"), ("POST", "/v1/invites/accept")}
PROBLEM = {MEDIA_TYPE: {"schema": {"$ref": openapi_errors.REF}}}  # an error's content


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


KEY = _b64(os.urandom(32))
AUTH_KEY = _b64(os.urandom(32))


def _accept(code: str, email: str) -> dict[str, Any]:
    return {
        "code": code,
        "email": email,
        "encryption_public": KEY,
        "signing_public": KEY,
        "wrapped_private_keys": KEY,
        "kdf_salt": KEY,
        "auth_key": AUTH_KEY,
        "kdf": {"memory_kib": 65536, "iterations": 3, "lanes": 4},
    }


@dataclass(frozen=True)
class Served:
    """The app over a migrated database, its document, and two accounts in two workspaces:
    the admin's (with project shop, environment dev) and eve's."""

    url: str
    client: TestClient
    document: dict[str, Any]
    admin: dict[str, str]
    workspace: str
    eve: dict[str, str]

    def bearer(self, who: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {(who or self.admin)['token']}"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    url = sqlite_url(tmp_path_factory.mktemp("errors") / "server.db")
    engine = open_engine(url)
    upgrade(engine)
    with Session(engine) as session, session.begin():
        code = accounts.create_bootstrap_invite(
            session, email="admin@x.io", clock=utc_now, new_id=new_uuid
        )
    engine.dispose()
    with TestClient(create_app(url, max_body=4096)) as client:
        admin = client.post("/v1/invites/accept", json=_accept(code, "admin@x.io")).json()
        # A workspace of her own (made once the first account joined: before, it would
        # replace the bootstrap invite).
        eve_code = founding_invite(engine, "eve@x.io")
        eve = client.post("/v1/invites/accept", json=_accept(eve_code, "eve@x.io")).json()
        workspace = admin["workspace_id"]
        dev = {"id": new_uuid(), "name": "dev", "sealed_share": KEY}
        project = {"name": "shop", "environments": [dev]}
        made = client.post(
            f"/v1/workspaces/{workspace}/projects",
            json=project,
            headers={"Authorization": f"Bearer {admin['token']}"},
        )
        assert made.status_code == 201, made.text
        document = client.get("/openapi.json").json()
        yield Served(url, client, document, admin, workspace, eve)


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield method.upper(), path, operation


def _documented(document: dict[str, Any], method: str, path: str, status: int) -> dict[str, Any]:
    responses = document["paths"][path][method.lower()]["responses"]
    assert str(status) in responses, f"{method} {path} does not document {status}"
    found: dict[str, Any] = responses[str(status)]
    return found


def _schema_of(document: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    """The problem schema a response documents, with the document's components, so that its
    ``$ref`` resolves as a generated client resolves it."""
    assert set(response["content"]) == {MEDIA_TYPE}
    return {**response["content"][MEDIA_TYPE]["schema"], "components": document["components"]}


def test_no_schema_of_fastapis_own_422_is_left(served: Served) -> None:
    text = json.dumps(served.document)
    for name in ("HTTPValidationError", "ValidationError"):
        assert name not in served.document["components"]["schemas"]
        assert f"#/components/schemas/{name}" not in text


def test_every_operation_with_input_documents_422_as_a_problem(served: Served) -> None:
    checked = 0
    for method, path, operation in _operations(served.document):
        if "requestBody" in operation or operation.get("parameters"):
            assert operation["responses"]["422"]["content"] == PROBLEM, f"{method} {path}"
            checked += 1
    assert checked >= 40


def test_every_error_documented_is_problem_json_with_the_problem_schema(served: Served) -> None:
    errors_ = [
        (f"{method} {path} {status}", response)
        for method, path, operation in _operations(served.document)
        for status, response in operation["responses"].items()
        if int(status) >= 400
    ]
    assert len(errors_) > 300
    for where, response in errors_:
        assert response["content"] == PROBLEM, where
        assert response["description"], where


def test_the_routes_that_need_a_session_document_401_and_the_public_ones_only_if_they_can(
    served: Served,
) -> None:
    """Checked against the authorisation matrix's own table of routes (test_authz_matrix)."""
    documented = {(method, path): op for method, path, op in _operations(served.document)}
    for route in POLICY:
        assert {"401", "403"} <= documented[route]["responses"].keys(), route
    public = UNAUTHENTICATED & documented.keys()
    assert len(public) == 6  # /openapi.json and /docs are left out of the document
    claims = {route for route in public if "401" in documented[route]["responses"]}
    assert claims == CHECK_A_CREDENTIAL


def test_the_probes_document_no_rate_limit_and_every_other_route_does(served: Served) -> None:
    limited = {
        path
        for _method, path, operation in _operations(served.document)
        if "429" not in operation["responses"]
    }
    assert limited == {"/healthz", "/readyz", "/metrics"}
    retry = _documented(served.document, "GET", "/v1/whoami", 429)["headers"]["Retry-After"]
    assert retry["schema"] == {"type": "integer"}


def test_writes_document_409_and_bodies_413(served: Served) -> None:
    document = served.document
    assert "`conflict`" in _documented(document, "POST", f"{ENV}/secrets", 409)["description"]
    assert "409" not in document["paths"][f"{ENV}/snapshot"]["get"]["responses"]
    for method, path, operation in _operations(document):
        assert ("413" in operation["responses"]) == ("requestBody" in operation), (method, path)


def test_every_operation_documents_an_unexpected_error_as_a_problem(served: Served) -> None:
    operations = list(_operations(served.document))
    assert len(operations) > 40
    for method, path, operation in operations:
        failed = operation["responses"].get("500")
        assert failed is not None, f"{method} {path}"
        assert failed["content"] == PROBLEM, f"{method} {path}"
        assert "`internal`" in failed["description"]
    member = served.document["components"]["schemas"]["Problem"]["properties"]["request_id"]
    assert member["type"] == "string"


def test_the_routes_named_outside_the_rules_are_routes_the_app_serves(served: Served) -> None:
    documented = {(method, path) for method, path, _op in _operations(served.document)}
    assert set(openapi_errors.PUBLIC_ERRORS) <= documented


# --- Real answers against the document ----------------------------------------------------


def _check(served: Served, method: str, path: str, answer: httpx.Response, code: str) -> None:
    """``answer`` (to ``method`` on the route ``path``) is a problem of ``code`` that the
    schema the document gives for its operation and status accepts."""
    assert answer.headers["content-type"] == MEDIA_TYPE, answer.text
    body = answer.json()
    assert body["code"] == code, body
    documented = _documented(served.document, method, path, answer.status_code)
    jsonschema_rs.validate(_schema_of(served.document, documented), body)
    assert f"`{code}`" in documented["description"]


def test_refusals_of_credentials_match_the_document(served: Served) -> None:
    client = served.client
    _check(served, "GET", "/v1/whoami", client.get("/v1/whoami"), "not_authenticated")
    login = {"email": "admin@x.io", "auth_key": AUTH_KEY}
    session = client.post("/v1/auth/login", json=login).json()
    ended = {"Authorization": f"Bearer {session['token']}"}
    assert client.post("/v1/auth/logout", headers=ended).status_code == 204
    refused = client.get("/v1/whoami", headers=ended)
    assert refused.json()["credential"] == "session"  # a member of its own
    _check(served, "GET", "/v1/whoami", refused, "not_authenticated")
    wrong = client.post("/v1/auth/login", json=login | {"auth_key": KEY})
    _check(served, "POST", "/v1/auth/login", wrong, "not_authenticated")
    unknown = invite_codes.invite_code(str(uuid.uuid4()), credentials.new_secret())
    accept = client.post("/v1/invites/accept", json=_accept(unknown, "new@x.io"))
    _check(served, "POST", "/v1/invites/accept", accept, "not_authenticated")


def test_refusals_and_unknown_names_match_the_document(served: Served) -> None:
    client, eve = served.client, served.bearer(served.eve)
    env = f"/v1/workspaces/{served.workspace}/projects/shop/environments/dev"
    projects = client.get(f"/v1/workspaces/{served.workspace}/projects", headers=eve)
    _check(served, "GET", f"{WS}/projects", projects, "permission_denied")
    snapshot = client.get(f"{env}/snapshot", headers=eve)  # answered by the hot routes
    assert snapshot.status_code == 403
    _check(served, "GET", f"{ENV}/snapshot", snapshot, "permission_denied")
    who = client.get(f"/v1/principals/{uuid.uuid4()}", headers=served.bearer())
    _check(served, "GET", "/v1/principals/{principal_id}", who, "not_found")
    nowhere = f"/v1/workspaces/{served.workspace}/projects/nope/environments"
    missing = client.get(nowhere, headers=served.bearer())
    _check(served, "GET", f"{WS}/projects/{{project}}/environments", missing, "project_not_found")


def _one_write(secret_id: str) -> dict[str, Any]:
    """A batch's one write, creating ``secret_id`` in the shared scope."""
    return {
        "secret_id": secret_id,
        "scope": "shared",
        "name_index": KEY,
        "expected_version": 0,
        "key_version": 1,
        "name_ct": KEY,
        "value_ct": KEY,
        "signature": _b64(b"x" * 64),
    }


def test_conflicts_and_bad_requests_match_the_document(served: Served) -> None:
    client, admin = served.client, served.bearer()
    name = {"name": f"team-{uuid.uuid4().hex[:8]}"}
    assert client.post("/v1/workspaces", json=name, headers=admin).status_code == 201
    again = client.post("/v1/workspaces", json=name, headers=admin)
    _check(served, "POST", "/v1/workspaces", again, "already_exists")
    write = _one_write("s1")
    env = f"/v1/workspaces/{served.workspace}/projects/shop/environments/dev"
    stale = client.post(
        f"{env}/secrets", json={"writes": [write]}, headers={**admin, "If-Match": "nope"}
    )
    _check(served, "POST", f"{ENV}/secrets", stale, "conflict")
    unnamed = client.post("/v1/workspaces", json={"name": ""}, headers=admin)
    _check(served, "POST", "/v1/workspaces", unnamed, "usage")


def test_requests_that_do_not_parse_or_are_too_large_match_the_document(served: Served) -> None:
    client = served.client
    mistyped = client.post("/v1/auth/prelogin", json={"email": 3})
    _check(served, "POST", "/v1/auth/prelogin", mistyped, "invalid_request")
    env = f"/v1/workspaces/{served.workspace}/projects/shop/environments/dev"
    hot = client.get(f"{env}/snapshot?all_scopes=maybe", headers=served.bearer())
    _check(served, "GET", f"{ENV}/snapshot", hot, "invalid_request")
    large = client.post("/v1/auth/prelogin", content=b"x" * 8192)
    _check(served, "POST", "/v1/auth/prelogin", large, "too_large")


def test_rate_limits_and_an_unready_database_match_the_document(
    served: Served, tmp_path: Path
) -> None:
    with TestClient(create_app(served.url, rate=1.0)) as limited:
        answers = [limited.get("/v1/whoami") for _ in range(8)]
    refused = [a for a in answers if a.status_code == 429]
    assert refused, "the burst must run out"
    _check(served, "GET", "/v1/whoami", refused[0], "rate_limited")
    with TestClient(create_app(sqlite_url(tmp_path / "unmigrated.db"))) as unready:
        _check(served, "GET", "/readyz", unready.get("/readyz"), "not_ready")


PLANTED = "PLANTED-s3cr3t-9f2c"  # as a value, an SQL parameter, in an error's text


def _broken(*_args: object, **_kwargs: object) -> None:
    # No query is built: an error's text that holds one, as a database error's may.
    raise RuntimeError(f"a bug: INSERT INTO secrets VALUES ('{PLANTED}')")  # noqa: S608


def _failed(
    served: Served, method: str, path: str, answer: httpx.Response, logged: list[Any]
) -> None:
    """``answer`` is the documented 500, naming its request id and nothing of the error; the
    server's log has the error once, under that id."""
    assert answer.status_code == 500, answer.text
    _check(served, method, path, answer, "internal")
    body, request_id = answer.json(), answer.headers["x-request-id"]
    assert body["request_id"] == request_id
    assert f"(request id {request_id})" in body["title"]
    assert "operator" in body["hint"]
    assert PLANTED not in answer.text
    assert "INSERT" not in answer.text
    assert "bug" not in answer.text
    [failed] = [e for e in logged if e.get("request_id") == request_id and "exc_info" in e]
    assert (failed["event"], failed["log_level"]) == ("unhandled error", "error")
    assert PLANTED in str(failed["exc_info"])  # the operator's to read, not the client's


def _unusable_store(*_args: object, **_kwargs: object) -> None:
    raise errors.StoreError(
        f"/srv/{PLANTED}/envkeep.db is not a usable envkeep database (a bug)",
        hint="restore it from a backup",
    )


@pytest.mark.parametrize(
    "failure", [_broken, _unusable_store], ids=["a bug", "an envkeep error of status 500"]
)
def test_unexpected_errors_match_the_document_on_fastapis_routes_and_the_hot_ones(
    served: Served, monkeypatch: pytest.MonkeyPatch, failure: Callable[..., None]
) -> None:
    client, admin = served.client, served.bearer()
    for module, name in [
        (workspaces, "held_workspaces"),
        (audited_reads, "read_environment"),
        (writes, "write_batch"),  # what both write routes call
    ]:
        monkeypatch.setattr(module, name, failure)
    env = f"/v1/workspaces/{served.workspace}/projects/shop/environments/dev"
    write = _one_write("s-failed")
    # Captured, not rendered: the console renderer's locals would reach into the failed job.
    with capture_logs() as logged:
        whoami = client.get("/v1/whoami", headers=admin)
        _failed(served, "GET", "/v1/whoami", whoami, logged)
        snapshot = client.get(f"{env}/snapshot", headers=admin)  # answered by the hot routes
        _failed(served, "GET", f"{ENV}/snapshot", snapshot, logged)
        written = client.post(f"{env}/secrets", json={"writes": [write]}, headers=admin)
        _failed(served, "POST", f"{ENV}/secrets", written, logged)
    assert "backup" not in whoami.text + snapshot.text + written.text  # the operator's hint


def test_the_problem_schema_refuses_what_is_no_problem(served: Served) -> None:
    """The validation above can fail: a body without a code, or with a status as text."""
    schema = _schema_of(served.document, _documented(served.document, "GET", "/v1/whoami", 401))
    good = {"type": "https://envkeep.dev/problems/x", "title": "t", "status": 401, "code": "x"}
    assert jsonschema_rs.is_valid(schema, good | {"anything": ["new"]})  # open to additions
    assert not jsonschema_rs.is_valid(schema, {k: v for k, v in good.items() if k != "code"})
    assert not jsonschema_rs.is_valid(schema, good | {"status": "401"})
    assert not jsonschema_rs.is_valid(schema, good | {"hint": None})  # left out, never null


# --- The Problem model and the error registry ---------------------------------------------


def test_the_problem_schema_names_every_member_an_error_adds() -> None:
    """``EnvkeepError.fields``: the errors that add members are these two, and the schema
    names what they add."""
    named = openapi_errors.Problem.model_json_schema(mode="serialization")["properties"]
    added = {
        **errors.NotAuthenticated("m", credential="token").fields(),
        **errors.PermissionDenied("m", needed="admin", scope="workspace").fields(),
    }
    assert added.keys() <= named.keys()
    own = {e.__name__ for e in _all(errors.EnvkeepError) if "fields" in vars(e)}
    assert own == {"EnvkeepError", "NotAuthenticated", "PermissionDenied"}


def _all(error: type[errors.EnvkeepError]) -> Iterator[type[errors.EnvkeepError]]:
    yield error
    for child in error.__subclasses__():
        yield from _all(child)


def _imported_errors(path: Path) -> set[str]:
    """The names a module imports from core/errors.py, or reads off it as ``errors.X``."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == errors.__name__:
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.Attribute) and getattr(node.value, "id", None) == "errors":
            found.add(node.attr)
    return found


def test_the_errors_the_document_leaves_out_are_raised_by_no_server_module() -> None:
    """The codes each response lists are the registry's, but for ``NOT_SENT``: the client's
    own errors, and bases only raised as a subclass. Were a server module to raise one, its
    code would be missing from the document."""
    modules = [
        path
        for layer in ("api", "app", "store")
        for path in (SRC / layer).rglob("*.py")
        if path.name != "openapi_errors.py"
    ]
    used = set().union(*(_imported_errors(path) for path in modules))
    assert {"NotAuthenticated", "PermissionDenied", "ProjectNotFound"} <= used
    assert used & {e.__name__ for e in openapi_errors.NOT_SENT} == set()


def test_each_status_lists_the_registrys_codes_and_the_http_layers_own() -> None:
    assert openapi_errors.codes(401) == ["not_authenticated"]
    assert openapi_errors.codes(500) == ["internal"]  # errors.ServerFailed, problems.failed
    assert openapi_errors.codes(422) == ["invalid_input", "invalid_request"]
    assert "project_not_found" in openapi_errors.codes(404)
    assert "declined" not in openapi_errors.codes(400)  # a prompt's "no": never sent
