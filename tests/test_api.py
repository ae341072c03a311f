"""The REST API in-process (FastAPI's TestClient): accounts, one error shape, headers,
optimistic concurrency, audit of reads — on SQLite and on PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from envkeep import __version__
from envkeep.api.app import create_app
from envkeep.app import accounts, credentials, invite_codes
from envkeep.app.context import new_uuid, utc_now
from envkeep.core.errors import AlreadyExistsError, NotAuthenticated
from envkeep.core.limits import (
    ENVELOPE_OVERHEAD,
    MAX_NAME_BYTES,
    MAX_VALUE_BYTES,
    MAX_VALUE_ENVELOPE,
)
from envkeep.store.models import AuditEvent, Invite
from envkeep.store.schema_version import HEAD_REVISION
from tests.authz_support import founding_invite

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy import Engine


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


KEY = b64(os.urandom(32))
AUTH_KEY = os.urandom(32)


@pytest.fixture
def client(engine: Engine, database: str) -> Iterator[TestClient]:
    with TestClient(create_app(database)) as api:
        yield api


def _invite(engine: Engine, email: str) -> str:
    with Session(engine) as session, session.begin():
        return accounts.create_bootstrap_invite(
            session, email=email, clock=utc_now, new_id=new_uuid
        )


def _accept_body(code: str, email: str) -> dict[str, Any]:
    return {
        "code": code,
        "email": email,
        "encryption_public": KEY,
        "signing_public": KEY,
        "wrapped_private_keys": b64(b"wrapped"),
        "kdf_salt": b64(b"s" * 16),
        "kdf": {"memory_kib": 65536, "iterations": 3, "lanes": 4},
        "auth_key": b64(AUTH_KEY),
    }


def _join(client: TestClient, code: str, email: str = "admin@example.com") -> dict[str, Any]:
    response = client.post("/v1/invites/accept", json=_accept_body(code, email))
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


@pytest.fixture
def admin(client: TestClient, engine: Engine) -> dict[str, Any]:
    session = _join(client, _invite(engine, "admin@example.com"))
    client.headers["Authorization"] = f"Bearer {session['token']}"
    return session


def _project(client: TestClient, workspace: str) -> str:
    env_id = str(uuid.uuid4())
    body = {"name": "shop", "environments": [{"id": env_id, "name": "dev", "sealed_share": KEY}]}
    response = client.post(f"/v1/workspaces/{workspace}/projects", json=body)
    assert response.status_code == 201, response.text
    return f"/v1/workspaces/{workspace}/projects/shop/environments/dev"


def _write(secret_id: str, expected: int) -> dict[str, Any]:
    return {
        "secret_id": secret_id,
        "scope": "shared",
        "name_index": b64(secret_id.encode()[:32]),
        "expected_version": expected,
        "key_version": 1,
        "name_ct": KEY,
        "value_ct": KEY,
        "signature": b64(b"x" * 64),
    }


def test_every_error_is_problem_json_with_a_stable_code(client: TestClient) -> None:
    answers = [
        client.get("/v1/whoami"),  # no token
        client.get("/v1/whoami", headers={"Authorization": "Bearer nope"}),
        client.get("/v1/nowhere"),
        client.post("/v1/auth/login", json={"email": 3}),
    ]
    assert [a.status_code for a in answers] == [401, 401, 404, 422]
    for answer in answers:
        assert answer.headers["content-type"] == "application/problem+json"
        body = answer.json()
        assert {"type", "title", "status", "code"} <= body.keys()
        assert body["status"] == answer.status_code


def test_a_request_with_a_field_the_server_does_not_know_is_refused(client: TestClient) -> None:
    """Refused, not dropped: a misspelt optional field would otherwise be ignored without a
    word. (An answer is read the other way round: the client ignores what a newer server adds
    to it, tests/test_newer_server_answers.py.)"""
    kdf = {"memory_kib": 65536, "iterations": 3, "lanes": 4, "parallel": True}
    answers = {
        "remember": client.post("/v1/auth/prelogin", json={"email": "a@x.io", "remember": 1}),
        "parallel": client.post(  # nested, in kdf
            "/v1/invites/accept", json=_accept_body("ek_inv_x_y", "a@x.io") | {"kdf": kdf}
        ),
    }
    for field, answer in answers.items():
        assert answer.status_code == 422, field
        assert answer.headers["content-type"] == "application/problem+json", field
        problem = answer.json()
        assert problem["code"] == "invalid_request", problem
        assert field in problem["title"], problem  # the field refused is named


def test_security_headers_and_a_request_id_are_on_every_response(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert len(response.headers["x-request-id"]) >= 16
    assert "access-control-allow-origin" not in response.headers  # CORS is off by default


def test_readyz_checks_the_database_and_metrics_are_served(client: TestClient) -> None:
    assert client.get("/readyz").json() == {"status": "ready"}
    client.get("/healthz")
    assert "envkeep_request_seconds_count" in client.get("/metrics").text


def test_metrics_name_the_api_description_and_docs_and_no_unknown_path(
    client: TestClient,
) -> None:
    assert client.get("/openapi.json").json()["info"]["title"] == "envkeep"
    assert client.get("/docs").status_code == 200
    assert client.get("/no/such/path").status_code == 404
    counted = client.get("/metrics").text
    for route in ("/openapi.json", "/docs"):
        assert f'envkeep_request_seconds_count{{method="GET",route="{route}"}} 1.0' in counted
    assert 'route="unmatched"} 1.0' in counted  # the unknown path, named by no route
    assert "/no/such/path" not in counted


def test_a_body_over_the_limit_is_refused(engine: Engine, database: str) -> None:
    with TestClient(create_app(database, max_body=1024)) as small:
        response = small.post("/v1/auth/prelogin", content=b"x" * 2048)
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_bootstrap_invite_works_once(client: TestClient, engine: Engine) -> None:
    code = _invite(engine, "admin@example.com")
    _join(client, code)
    again = client.post(
        "/v1/invites/accept",
        json={**_join_body(code), "email": "admin@example.com"},
    )
    assert again.status_code == 401
    assert again.json()["code"] == "not_authenticated"


def _join_body(code: str) -> dict[str, Any]:
    return {
        "code": code,
        "email": "x@example.com",
        "encryption_public": KEY,
        "signing_public": KEY,
        "wrapped_private_keys": KEY,
        "kdf_salt": KEY,
        "auth_key": KEY,
        "kdf": {"memory_kib": 65536, "iterations": 3, "lanes": 4},
    }


def test_prelogin_answers_the_same_shape_for_unknown_emails(
    client: TestClient, admin: dict[str, Any]
) -> None:
    known = client.post("/v1/auth/prelogin", json={"email": "admin@example.com"}).json()
    unknown = client.post("/v1/auth/prelogin", json={"email": "ghost@example.com"}).json()
    assert known.keys() == unknown.keys()
    assert known["kdf"] == unknown["kdf"]
    again = client.post("/v1/auth/prelogin", json={"email": "ghost@example.com"}).json()
    assert unknown["kdf_salt"] == again["kdf_salt"]


def test_a_fake_salt_owes_nothing_to_the_database_url_and_holds_across_processes(
    client: TestClient, engine: Engine, database: str
) -> None:
    """The key of unknown emails' salts is random, made by the migration: the URL (which holds
    the database's password) gave one answer of this unauthenticated route away as a test of
    guesses at it. Another server process on the same database answers the same."""
    asked = {"email": "ghost@example.com"}
    unknown = base64.urlsafe_b64decode(
        client.post("/v1/auth/prelogin", json=asked).json()["kdf_salt"] + "=="
    )
    from_url = hashlib.sha256(b"envkeep/v1/prelogin|" + database.encode()).digest()
    with TestClient(create_app(database)) as second:
        again = second.post("/v1/auth/prelogin", json=asked).json()["kdf_salt"]
    with Session(engine) as session:
        key = session.scalar(text("SELECT value FROM server_secrets WHERE name = 'prelogin'"))

    assert unknown != hmac.digest(from_url, b"ghost@example.com", "sha256")[:16]
    assert isinstance(key, bytes)
    assert len(key) == 32
    assert unknown == hmac.digest(key, b"ghost@example.com", "sha256")[:16]
    assert base64.urlsafe_b64decode(again + "==") == unknown


def test_one_bootstrap_code_at_a_time_and_none_works_once_the_server_has_its_admin(
    client: TestClient, engine: Engine
) -> None:
    """Two codes made before anyone joined founded two workspaces, the second one no admin
    sees: a new code replaces an earlier one, and a code is void once an account exists."""
    first = _invite(engine, "admin@example.com")
    second = _invite(engine, "admin@example.com")
    stray = _invite(engine, "other@example.com")  # replaces both
    replaced = client.post("/v1/invites/accept", json=_accept_body(first, "admin@example.com"))
    also = client.post("/v1/invites/accept", json=_accept_body(second, "admin@example.com"))
    _join(client, stray, "other@example.com")
    with Session(engine) as session:
        late = accounts.create_bootstrap_invite
        with pytest.raises(AlreadyExistsError):
            late(session, email="x@example.com", clock=utc_now, new_id=new_uuid)

    assert replaced.status_code == also.status_code == 401, replaced.text
    with Session(engine) as session:
        workspaces = session.scalar(text("SELECT count(*) FROM workspaces"))
    assert workspaces == 1


def test_two_bootstrap_codes_made_at_once_leave_one(engine: Engine) -> None:
    """The second waits for the first's transaction (an advisory lock on PostgreSQL, whose
    READ COMMITTED would otherwise let each miss the other's row) and replaces its code."""
    first = Session(engine)
    first.begin()
    accounts.create_bootstrap_invite(first, email="a@example.com", clock=utc_now, new_id=new_uuid)
    made: list[str] = []

    def second() -> None:
        with Session(engine) as session, session.begin():
            made.append(
                accounts.create_bootstrap_invite(
                    session, email="b@example.com", clock=utc_now, new_id=new_uuid
                )
            )

    racing = threading.Thread(target=second)
    racing.start()
    time.sleep(0.3)  # the second is waiting on the first now
    first.commit()
    first.close()
    racing.join(timeout=30)

    assert made, "the second code was never made"
    with Session(engine) as session:
        left = session.scalars(select(Invite.email).where(Invite.workspace_id.is_(None))).all()
    assert left == ["b@example.com"]


def test_a_bootstrap_code_left_from_before_the_first_admin_joined_is_void_after(
    client: TestClient, engine: Engine
) -> None:
    secret, stray_id, made = "s" * 43, new_uuid(), utc_now()
    _join(client, _invite(engine, "admin@example.com"))
    with Session(engine) as session, session.begin():  # a second code an older server made
        stray = Invite(
            id=stray_id,
            workspace_id=None,
            email="late@example.com",
            role="admin",
            secret_hash=credentials.token_hash(secret),
            created_at=made,  # before the first admin joined
            expires_at=made + timedelta(days=1),
        )
        session.add(stray)
    code = invite_codes.invite_code(stray_id, secret)

    refused = client.post("/v1/invites/accept", json=_accept_body(code, "late@example.com"))

    assert refused.status_code == 409, refused.text
    assert "already has accounts" in refused.json()["title"]
    with Session(engine) as session:
        assert session.scalar(text("SELECT count(*) FROM workspaces")) == 1
        assert session.scalar(text("SELECT count(*) FROM principals")) == 1


def test_login_needs_the_right_key_and_logout_ends_the_session(
    client: TestClient, admin: dict[str, Any]
) -> None:
    wrong = client.post("/v1/auth/login", json={"email": "admin@example.com", "auth_key": KEY})
    assert wrong.status_code == 401
    right = client.post(
        "/v1/auth/login", json={"email": "admin@example.com", "auth_key": b64(AUTH_KEY)}
    )
    assert right.status_code == 200
    token = right.json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/v1/whoami", headers=headers).status_code == 200
    assert client.post("/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/v1/whoami", headers=headers).status_code == 401


def test_a_stale_write_is_409_and_if_match_guards_the_environment(
    client: TestClient, admin: dict[str, Any]
) -> None:
    env = _project(client, admin["workspace_id"])
    first = client.post(f"{env}/secrets", json={"writes": [_write("s1", 0)]})
    assert first.status_code == 200
    assert first.headers["etag"] == '"1"'
    stale = client.post(f"{env}/secrets", json={"writes": [_write("s1", 0)]})
    assert stale.status_code == 409
    assert stale.json()["code"] == "conflict"
    old_etag = client.post(
        f"{env}/secrets", json={"writes": [_write("s2", 0)]}, headers={"If-Match": '"0"'}
    )
    assert old_etag.status_code == 409
    snapshot = client.get(f"{env}/snapshot")
    assert snapshot.headers["etag"] == '"1"'
    assert [s["id"] for s in snapshot.json()["secrets"]] == ["s1"]


def test_reads_are_audited_in_the_same_transaction(
    client: TestClient, admin: dict[str, Any], engine: Engine
) -> None:
    env = _project(client, admin["workspace_id"])
    client.get(f"{env}/snapshot")
    with Session(engine) as session:
        actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))
    assert actions[-1] == "secrets.read"


def test_the_audit_trail_records_the_servers_request_id_not_the_clients(
    client: TestClient, admin: dict[str, Any], engine: Engine
) -> None:
    env = _project(client, admin["workspace_id"])
    with Session(engine) as session:
        earlier = session.scalars(select(AuditEvent.request_id)).first()
    assert earlier is not None
    answers = [client.get(f"{env}/snapshot", headers={"X-Request-ID": earlier}) for _ in (1, 2)]
    with Session(engine) as session:
        recorded = list(session.scalars(select(AuditEvent.request_id).order_by(AuditEvent.seq)))
    assert recorded[-2:] == [answer.headers["x-request-id"] for answer in answers]
    assert len(set(recorded)) == len(recorded)  # a client cannot reuse another event's id


def test_another_workspace_sees_nothing(
    client: TestClient, admin: dict[str, Any], engine: Engine
) -> None:
    env = _project(client, admin["workspace_id"])
    other_code = founding_invite(engine, "eve@example.com")
    eve = _join(TestClient(client.app), other_code, "eve@example.com")
    headers = {"Authorization": f"Bearer {eve['token']}"}
    assert client.get(f"{env}/snapshot", headers=headers).status_code == 403
    foreign = env.replace(admin["workspace_id"], eve["workspace_id"])
    assert client.get(foreign, headers=headers).status_code in {404, 405}


def test_the_server_never_imports_client_or_crypto_code() -> None:
    code = (
        "import sys, envkeep.api.app, envkeep.api.serve\n"
        "print(sorted(m for m in sys.modules if m.startswith(('envkeep.client', 'envkeep.crypto',"
        " 'cryptography'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_requests_over_the_rate_get_429_with_retry_after(engine: Engine, database: str) -> None:
    with TestClient(create_app(database, rate=1.0)) as limited:
        answers = [limited.get("/openapi.json") for _ in range(8)]
        probes = [limited.get(path).status_code for path in ("/healthz", "/readyz", "/metrics")]
    assert probes == [200, 200, 200]  # probes and the scrape spend no budget
    refused = [a for a in answers if a.status_code == 429]
    assert refused, "the burst (4 requests at 1/s) must run out"
    assert int(refused[0].headers["retry-after"]) >= 1
    assert refused[0].json()["code"] == "rate_limited"
    assert refused[0].json()["title"] == "too many requests from this address"


def test_logins_are_throttled_per_account(client: TestClient, admin: dict[str, Any]) -> None:
    body = {"email": "admin@example.com", "auth_key": KEY}
    answers = [client.post("/v1/auth/login", json=body) for _ in range(7)]
    codes = [answer.status_code for answer in answers]
    assert codes[:5] == [401] * 5
    assert 429 in codes[5:]
    refused = answers[codes.index(429)]
    assert refused.json()["title"] == (
        "too many login or passphrase attempts for admin@example.com (the login throttle)"
    )
    assert int(refused.headers["retry-after"]) >= 1


def test_the_current_passphrase_is_checked_before_a_new_one_is_asked_for(
    client: TestClient, admin: dict[str, Any], engine: Engine
) -> None:
    before = _events(engine)
    right = client.post("/v1/account/passphrase/check", json={"auth_key": b64(AUTH_KEY)})
    assert right.status_code == 204
    assert _events(engine) == before  # a check changes nothing
    wrong = client.post("/v1/account/passphrase/check", json={"auth_key": KEY})
    assert wrong.status_code == 401
    assert wrong.json()["title"] == "the current passphrase is wrong"
    assert _events(engine) == before + 1  # but a wrong guess is audited as a refusal


def test_a_stolen_session_guesses_the_passphrase_no_faster_than_a_login(
    client: TestClient, admin: dict[str, Any]
) -> None:
    """Checks and changes spend the account's login budget: a session's holder (a stolen
    token, say) cannot try passphrases faster than logins could, nor log in after."""
    codes = [
        client.post("/v1/account/passphrase/check", json={"auth_key": KEY}).status_code
        for _ in range(6)
    ]
    assert codes == [401] * 5 + [429]
    change = {
        "old_auth_key": b64(AUTH_KEY),  # right, but over the budget
        "new_auth_key": b64(b"n" * 32),
        "kdf_salt": b64(b"t" * 16),
        "kdf": {"memory_kib": 65536, "iterations": 3, "lanes": 4},
        "wrapped_private_keys": b64(b"rewrapped"),
    }
    assert client.post("/v1/account/passphrase", json=change).status_code == 429
    login = {"email": "admin@example.com", "auth_key": b64(AUTH_KEY)}
    assert client.post("/v1/auth/login", json=login).status_code == 429


def test_a_wrong_passphrase_proved_with_a_live_session_is_in_the_audit_trail(
    client: TestClient, admin: dict[str, Any]
) -> None:
    """Whoever holds a stolen session guesses the passphrase with it: the admins see each try
    (a wrong login, with no session, is no one's to record)."""
    wrong = {"auth_key": KEY}
    assert client.post("/v1/account/passphrase/check", json=wrong).status_code == 401
    change = {
        "old_auth_key": KEY,
        "new_auth_key": b64(b"n" * 32),
        "kdf_salt": b64(b"t" * 16),
        "kdf": {"memory_kib": 65536, "iterations": 3, "lanes": 4},
        "wrapped_private_keys": b64(b"rewrapped"),
    }
    assert client.post("/v1/account/passphrase", json=change).status_code == 401
    page = client.get(f"/v1/workspaces/{admin['workspace_id']}/audit").json()["events"]
    denied = [e for e in page if e["action"] == "request.denied"]
    assert [(e["target"], e["outcome"], e["principal_id"]) for e in denied] == [
        ("admin@example.com", "denied", admin["principal_id"])
    ] * 2
    routes = [json.loads(e["details"])["route"] for e in denied]
    assert routes == ["/v1/account/passphrase/check", "/v1/account/passphrase"]
    assert all(e["request_id"] and e["ip"] for e in denied)


def test_metrics_count_audit_events_and_database_time(
    client: TestClient, admin: dict[str, Any]
) -> None:
    _project(client, admin["workspace_id"])
    text = client.get("/metrics").text
    audit = next(
        line for line in text.splitlines() if line.startswith("envkeep_audit_events_total")
    )
    assert float(audit.split()[-1]) >= 2
    assert "envkeep_database_seconds_count" in text


def test_metrics_show_the_process_and_which_build_answers(client: TestClient) -> None:
    text = client.get("/metrics").text
    lines = text.splitlines()

    build = f'envkeep_build_info{{schema="{HEAD_REVISION}",version="{__version__}"}} 1.0'
    assert build in lines
    memory = next(line for line in lines if line.startswith("process_resident_memory_bytes "))
    assert float(memory.split()[-1]) > 10_000_000  # a running Python server's, in bytes
    assert any(line.startswith("python_info{") for line in lines)


def test_sessions_are_listed_and_ended_by_their_owner_only(
    client: TestClient, admin: dict[str, Any]
) -> None:
    second = client.post(
        "/v1/auth/login", json={"email": "admin@example.com", "auth_key": b64(AUTH_KEY)}
    ).json()["token"]
    listed = client.get("/v1/sessions").json()
    assert len(listed) == 2
    assert sum(1 for s in listed if s["current"]) == 1
    other = next(s for s in listed if not s["current"])
    assert client.delete(f"/v1/sessions/{other['id']}").status_code == 204
    assert (
        client.get("/v1/whoami", headers={"Authorization": f"Bearer {second}"}).status_code == 401
    )
    again = client.delete(f"/v1/sessions/{other['id']}")
    assert again.status_code == 404
    assert again.json()["title"] == "that session is ended already; nothing changed"


def test_a_token_cannot_end_itself_as_a_session_past_token_revoke(
    client: TestClient, admin: dict[str, Any]
) -> None:
    """Ended by a logout, a token would show as revoked while the tokens it made lived on and
    no key was rotated: only `token revoke` ends one."""
    workspace = admin["workspace_id"]
    env_id = client.get(_project(client, workspace).rsplit("/", 1)[0]).json()[0]["id"]
    account = _account(env_id)
    token = f"ek_sa_{account['principal_id']}_{credentials.new_secret()}"
    body = {**account, "token_hash": credentials.token_hash(token), "name": "ci", "role": "read"}
    assert client.post(f"/v1/workspaces/{workspace}/tokens", json=body).status_code == 201
    headers = {"Authorization": f"Bearer {token}"}
    own = client.get("/v1/sessions", headers=headers).json()[0]["id"]
    for method, path in (("POST", "/v1/auth/logout"), ("DELETE", f"/v1/sessions/{own}")):
        refused = client.request(method, path, headers=headers)
        assert refused.status_code == 403, refused.text
        assert "envkeep token revoke" in refused.json()["hint"]
    assert client.get("/v1/token/self", headers=headers).status_code == 200


def test_a_passphrase_change_needs_the_old_key_and_ends_other_sessions(
    client: TestClient, admin: dict[str, Any]
) -> None:
    other = client.post(
        "/v1/auth/login", json={"email": "admin@example.com", "auth_key": b64(AUTH_KEY)}
    ).json()["token"]
    change = {
        "old_auth_key": KEY,
        "new_auth_key": b64(b"n" * 32),
        "kdf_salt": b64(b"t" * 16),
        "kdf": {"memory_kib": 65536, "iterations": 3, "lanes": 4},
        "wrapped_private_keys": b64(b"rewrapped"),
    }
    assert client.post("/v1/account/passphrase", json=change).status_code == 401
    change["old_auth_key"] = b64(AUTH_KEY)
    answer = client.post("/v1/account/passphrase", json=change)
    assert answer.json() == {"ended": 1}
    assert client.get("/v1/whoami", headers={"Authorization": f"Bearer {other}"}).status_code == 401
    assert client.get("/v1/whoami").status_code == 200  # this session stays
    relogin = client.post(
        "/v1/auth/login", json={"email": "admin@example.com", "auth_key": b64(b"n" * 32)}
    )
    assert relogin.status_code == 200
    assert relogin.json()["wrapped_private_keys"] == b64(b"rewrapped")


def test_a_new_workspace_belongs_to_its_creator_alone(
    client: TestClient, admin: dict[str, Any]
) -> None:
    created = client.post("/v1/workspaces", json={"name": "acme"})
    assert created.status_code == 201
    names = {w["name"] for w in client.get("/v1/whoami").json()["workspaces"]}
    assert "acme" in names
    again = client.post("/v1/workspaces", json={"name": "acme"})
    assert again.status_code == 409
    assert again.json()["title"] == "you already have a workspace called 'acme'"


@pytest.mark.parametrize("name", ["evil\x1b[2K\rwelcome to acme", "two\nlines", "bidi\u202egnp"])
def test_a_workspace_name_with_control_characters_is_refused(
    client: TestClient, admin: dict[str, Any], name: str
) -> None:
    """An invitee's `join` and `whoami` print the name their inviter chose."""
    refused = client.post("/v1/workspaces", json={"name": name})
    assert refused.status_code == 400, refused.text
    assert "control characters" in refused.json()["title"]
    assert name not in {w["name"] for w in client.get("/v1/whoami").json()["workspaces"]}


def test_a_workspace_name_another_tenant_uses_is_no_refusal(
    client: TestClient, admin: dict[str, Any], engine: Engine
) -> None:
    """A refusal would tell Eve which names other tenants use."""
    assert client.post("/v1/workspaces", json={"name": "acme"}).status_code == 201
    eve = _join(
        TestClient(client.app), founding_invite(engine, "eve@example.com"), "eve@example.com"
    )
    headers = {"Authorization": f"Bearer {eve['token']}"}
    created = client.post("/v1/workspaces", json={"name": "acme"}, headers=headers)
    assert created.status_code == 201, created.text
    mine = client.get("/v1/whoami", headers=headers).json()["workspaces"]
    theirs = client.get("/v1/whoami").json()["workspaces"]
    # Both bootstrap workspaces are called 'default' too.
    assert sorted(w["name"] for w in mine) == sorted(w["name"] for w in theirs)
    assert sorted(w["name"] for w in mine) == ["acme", "default"]
    assert not {w["id"] for w in mine} & {w["id"] for w in theirs}


def _events(engine: Engine) -> int:
    with Session(engine) as session:
        return len(list(session.scalars(select(AuditEvent.id))))


def _account(env_id: str) -> dict[str, Any]:
    """A service account's stand-in keys and its share of one environment."""
    principal_id = str(uuid.uuid4())
    share = {"environment_id": env_id, "key_version": 1, "recipient_id": principal_id}
    return {
        "principal_id": principal_id,
        "encryption_public": KEY,
        "signing_public": KEY,
        "wrapped_private_keys": KEY,
        "token_hash": os.urandom(32).hex(),
        "shares": [{**share, "sealed": KEY}],
    }


def test_every_mutating_success_appends_exactly_one_audit_event(
    client: TestClient, admin: dict[str, Any], engine: Engine
) -> None:
    ws = admin["workspace_id"]
    project = f"/v1/workspaces/{ws}/projects"
    env_id, dev_id = str(uuid.uuid4()), str(uuid.uuid4())
    tokens = f"/v1/workspaces/{ws}/tokens"
    dev_only = {"project": "shop", "environment": "dev"}
    steps: list[tuple[str, str, dict[str, Any] | None]] = [
        (
            "POST",
            project,
            {
                "name": "shop",
                "environments": [
                    {"id": dev_id, "name": "dev", "sealed_share": KEY},
                    {"id": str(uuid.uuid4()), "name": "prod", "sealed_share": KEY},
                ],
            },
        ),
        ("POST", f"{project}/shop/services", {"name": "api"}),
        ("POST", f"{project}/shop/environments", {"id": env_id, "name": "qa", "sealed_share": KEY}),
        ("PATCH", f"{project}/shop/environments/qa", {"description": "for testing"}),
        ("POST", f"{project}/shop/environments/dev/secrets", {"writes": [_write("s1", 0)]}),
        (
            "POST",
            f"{project}/shop/environments/dev/secrets",
            {"writes": [_write("s1", 1), _write("s2", 0)]},
        ),
        ("POST", f"/v1/workspaces/{ws}/invites", {"email": "bob@example.com", "role": "read"}),
        ("POST", "/v1/workspaces", {"name": "second"}),
        ("DELETE", f"{project}/shop/services/api", None),
        ("DELETE", f"{project}/shop/environments/qa", None),
        ("POST", tokens, {**_account(dev_id), "name": "ci", "role": "read", **dev_only}),
        ("POST", f"{tokens}/ci/rotate", _account(dev_id)),
        ("POST", f"{tokens}/ci/revoke", None),
        ("POST", "/v1/auth/logout", None),
    ]
    held = {ws}  # the workspaces the admin holds a role in
    for method, path, body in steps:
        before = _events_by_workspace(engine)
        answer = client.request(method, path, json=body)
        assert answer.status_code < 300, f"{method} {path}: {answer.text}"
        grown = Counter(_events_by_workspace(engine))
        grown.subtract(before)
        if path == "/v1/workspaces":  # the new workspace's chain begins
            held.add(answer.json()["id"])
            expected = {answer.json()["id"]: 1}
        elif path == "/v1/auth/logout":  # the account's own: in each workspace it is in
            expected = dict.fromkeys(held, 1)
        else:
            expected = {ws: 1}
        assert +grown == expected, f"{method} {path}"


def _events_by_workspace(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        rows = session.execute(
            select(AuditEvent.workspace_id, func.count()).group_by(AuditEvent.workspace_id)
        )
        return {str(w): int(n) for w, n in rows}


def test_scope_environments_name_each_environment_with_its_id(
    client: TestClient, admin: dict[str, Any], engine: Engine
) -> None:
    from envkeep.store.models import Environment

    workspace = admin["workspace_id"]
    _project(client, workspace)
    response = client.get(f"/v1/workspaces/{workspace}/scope-environments")
    assert response.status_code == 200, response.text
    with Session(engine) as session:
        env_id = session.scalars(select(Environment.id)).one()
    assert response.json() == [
        {"project": "shop", "environment": "dev", "key_version": 1, "environment_id": env_id}
    ]


def test_an_admin_finds_only_its_workspaces_members_and_tokens_not_other_tenants_accounts(
    client: TestClient, admin: dict[str, Any], engine: Engine
) -> None:
    from datetime import UTC, datetime

    from envkeep.store.models import Principal, SessionToken

    mine = admin["workspace_id"]
    created = client.post("/v1/workspaces", json={"name": "elsewhere"})
    assert created.status_code in {200, 201}, created.text
    elsewhere = created.json()["id"]
    invited = client.post(
        f"/v1/workspaces/{elsewhere}/invites",
        json={"email": "stranger@example.com", "role": "read"},
    )
    assert invited.status_code in {200, 201}, invited.text
    stranger = _join(client, invited.json()["code"], "stranger@example.com")
    with Session(engine) as session, session.begin():
        for name in (f"sa:{elsewhere}:ci", f"sa:{mine}:ci"):
            account = Principal(
                id=str(uuid.uuid4()),
                kind="service",
                name=name,
                encryption_public=os.urandom(32),
                signing_public=os.urandom(32),
                created_at=datetime.now(UTC),
            )
            session.add(account)
            session.flush()
            session.add(  # a live token: an account none of whose tokens works takes no role
                SessionToken(
                    id=str(uuid.uuid4()),
                    principal_id=account.id,
                    token_hash=os.urandom(32).hex(),
                    kind="token",
                    label="ci",
                    created_at=datetime.now(UTC),
                )
            )

    def lookup(name: str) -> int:
        found = client.get(f"/v1/workspaces/{mine}/principals/by-name", params={"name": name})
        return int(found.status_code)

    # Another tenant's member answers as an unknown name does: nothing crosses tenants.
    assert lookup("stranger@example.com") == lookup("nobody@example.com") == 404
    assert lookup(f"sa:{elsewhere}:ci") == 404
    assert lookup(f"sa:{mine}:ci") == lookup("admin@example.com") == 200

    # The stranger joins this workspace by accepting an invite with the account it has.
    code = client.post(
        f"/v1/workspaces/{mine}/invites", json={"email": "stranger@example.com", "role": "read"}
    ).json()["code"]
    as_stranger = {"Authorization": f"Bearer {stranger['token']}"}
    joined = client.post("/v1/invites/join", json={"code": code}, headers=as_stranger)
    again = client.post("/v1/invites/join", json={"code": code}, headers=as_stranger)

    assert joined.status_code == 201, joined.text
    assert joined.json()["id"] == mine
    assert again.status_code == 403, again.text  # used already
    assert lookup("stranger@example.com") == 200
    with Session(engine) as session, session.begin():
        found = session.scalars(
            select(Principal).where(Principal.name == "stranger@example.com")
        ).one()
        found.disabled_at = datetime.now(UTC)
    assert lookup("stranger@example.com") == 404


def test_joining_takes_the_invites_own_account_and_changes_nothing_otherwise(
    client: TestClient, admin: dict[str, Any], engine: Engine
) -> None:
    mine = admin["workspace_id"]
    created = client.post("/v1/workspaces", json={"name": "second"}).json()["id"]
    for_someone_else = client.post(
        f"/v1/workspaces/{created}/invites", json={"email": "other@example.com", "role": "read"}
    ).json()["code"]
    members_before = client.get(f"/v1/workspaces/{created}/members").json()

    wrong_account = client.post("/v1/invites/join", json={"code": for_someone_else})
    unknown = client.post("/v1/invites/join", json={"code": f"ek_inv_{uuid.uuid4()}_nope"})

    assert [wrong_account.status_code, unknown.status_code] == [403, 403]
    assert "another email address" in wrong_account.json()["title"]
    assert client.get(f"/v1/workspaces/{created}/members").json() == members_before

    # At a scope the account holds a role at already: no invite is made there, and one made
    # before (a second invite, the first accepted) is refused on joining, the invite unused.
    made = client.post(
        f"/v1/workspaces/{mine}/invites", json={"email": "admin@example.com", "role": "read"}
    )
    assert made.status_code == 409, made.text
    first, held = (
        client.post(
            f"/v1/workspaces/{mine}/invites", json={"email": "dora@example.com", "role": "read"}
        ).json()["code"]
        for _ in range(2)
    )
    as_dora = {"Authorization": f"Bearer {_join(client, first, 'dora@example.com')['token']}"}
    again = client.post("/v1/invites/join", json={"code": held}, headers=as_dora)
    assert again.status_code == 409, again.text
    with Session(engine) as session:
        invite = session.get(Invite, held.removeprefix("ek_inv_")[:36])
        assert invite is not None
        assert invite.accepted_at is None
        invite_id = invite.id
    with Session(engine) as session, session.begin():
        expired = session.get(Invite, invite_id)
        assert expired is not None
        expired.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    late = client.post("/v1/invites/join", json={"code": held}, headers=as_dora)
    assert late.status_code == 403, late.text
    assert "expired" in late.json()["title"]


def test_a_member_whose_last_role_was_revoked_can_be_granted_one_again(
    client: TestClient, admin: dict[str, Any]
) -> None:
    mine = admin["workspace_id"]
    code = client.post(
        f"/v1/workspaces/{mine}/invites", json={"email": "carol@example.com", "role": "read"}
    ).json()["code"]
    carol = _join(client, code, "carol@example.com")["principal_id"]

    revoked = client.post(f"/v1/workspaces/{mine}/members/revoke", json={"principal_id": carol})
    found = client.get(
        f"/v1/workspaces/{mine}/principals/by-name", params={"name": "carol@example.com"}
    )
    granted = client.post(
        f"/v1/workspaces/{mine}/members/grant",
        json={"principal_id": carol, "role": "write", "shares": []},
    )

    assert revoked.is_success, revoked.text
    assert found.status_code == 200, found.text  # she accepted this workspace's invite
    assert granted.is_success, granted.text


def test_an_invite_another_transaction_used_first_binds_nothing(
    client: TestClient, admin: dict[str, Any], engine: Engine
) -> None:
    from envkeep.store.models import RoleBinding

    mine = admin["workspace_id"]
    code = client.post(
        f"/v1/workspaces/{mine}/invites", json={"email": "dan@example.com", "role": "read"}
    ).json()["code"]
    with Session(engine, expire_on_commit=False) as first:
        invite = invite_codes.open_invite(first, code, utc_now())  # the race: seen open, then
        first.commit()  # another acceptance commits before this one claims it
        with Session(engine) as second, second.begin():
            taken = second.get(Invite, invite.id)
            assert taken is not None
            taken.accepted_at = utc_now()

        with pytest.raises(NotAuthenticated) as refused:
            invite_codes.claim_invite(
                first, invite, principal_id=str(uuid.uuid4()), now=utc_now(), key_proof=None
            )
        first.commit()

    assert refused.value.message == invite_codes.USED_ALREADY
    with Session(engine) as session:
        bound = session.scalars(select(RoleBinding).where(RoleBinding.workspace_id == mine)).all()
        assert [b.principal_id for b in bound] == [admin["principal_id"]]


def test_a_rotation_stores_the_share_it_checked_and_refuses_any_other(
    client: TestClient, admin: dict[str, Any]
) -> None:
    env = _project(client, admin["workspace_id"])
    env_id = client.get(f"{env}/snapshot").json()["environment"]["id"]
    me = admin["principal_id"]
    right, wrong = b64(b"right" * 8), b64(b"wrong" * 8)

    def share(sealed: str, *, environment_id: str = env_id, version: int = 2) -> dict[str, Any]:
        return {
            "environment_id": environment_id,
            "key_version": version,
            "recipient_id": me,
            "sealed": sealed,
        }

    refused = {
        "another environment's first": [
            share(wrong, environment_id=str(uuid.uuid4())),
            share(right),
        ],
        "an old key version's first": [share(wrong, version=1), share(right)],
        "two for one reader": [share(wrong), share(right)],
    }
    for case, shares in refused.items():
        body = {"new_key_version": 2, "shares": shares}
        response = client.post(f"{env}/rotate", json=body)
        assert response.status_code == 422, (case, response.text)
        assert client.get(f"{env}/snapshot").json()["environment"]["key_version"] == 1, case
    done = client.post(f"{env}/rotate", json={"new_key_version": 2, "shares": [share(right)]})
    assert done.status_code == 200, done.text
    stored = client.get(f"{env}/snapshot").json()["shares"]
    assert [(s["key_version"], s["sealed"]) for s in stored if s["key_version"] == 2] == [
        (2, right)
    ]


def test_a_value_over_64_kib_is_refused_but_a_rotation_carries_one_stored_before(
    client: TestClient, admin: dict[str, Any], engine: Engine
) -> None:
    """The server sees only envelopes: one larger than a 64 KiB value's is refused from a
    member's write (nothing stored) and from a rotation, unless the rotation re-encrypts a
    value stored that large before the limit."""
    env = _project(client, admin["workspace_id"])
    largest = {**_write("s1", 0), "value_ct": b64(b"v" * MAX_VALUE_ENVELOPE)}
    over = {**_write("s2", 0), "value_ct": b64(b"v" * (MAX_VALUE_ENVELOPE + 1))}

    refused = client.post(f"{env}/secrets", json={"writes": [largest, over]})
    assert refused.status_code == 400, refused.text
    assert refused.json()["code"] == "usage"
    assert f"is {MAX_VALUE_BYTES + 1:,} bytes" in refused.json()["title"]
    assert client.get(f"{env}/snapshot").json()["secrets"] == []
    assert client.post(f"{env}/secrets", json={"writes": [largest]}).status_code == 200
    old = MAX_VALUE_ENVELOPE + 10  # as a client before the limit could store it
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE secret_versions SET value_ct = :v WHERE secret_id = 's1'"),
            {"v": b"v" * old},
        )

    env_id = client.get(f"{env}/snapshot").json()["environment"]["id"]
    share = {"environment_id": env_id, "key_version": 2, "recipient_id": admin["principal_id"]}

    def rotation(size: int) -> dict[str, Any]:
        rotated = {**largest, "value_ct": b64(b"w" * size), "expected_version": 1}
        return {
            "new_key_version": 2,
            "shares": [{**share, "sealed": b64(b"s" * 40)}],
            "writes": [{**rotated, "key_version": 2}],
        }

    grown = client.post(f"{env}/rotate", json=rotation(old + 1))
    assert grown.status_code == 400, grown.text
    done = client.post(f"{env}/rotate", json=rotation(old))
    assert done.status_code == 200, done.text


def test_a_write_with_a_name_index_signature_or_name_larger_than_a_client_makes_is_refused(
    client: TestClient, admin: dict[str, Any]
) -> None:
    """A writer's garbage cannot grow every reader's snapshot through the fields a value's
    64 KiB limit does not cover: a name over 1 KiB, a name index over 32 bytes, a signature
    over 64 (nothing stored)."""
    env = _project(client, admin["workspace_id"])
    name_envelope = MAX_NAME_BYTES + ENVELOPE_OVERHEAD
    cases = {
        "name": ({"name_ct": b64(b"n" * (name_envelope + 1))}, "a name in this batch is 1,025"),
        "index": ({"name_index": b64(b"i" * 33)}, "a name index of 33 bytes"),
        "signature": ({"signature": b64(b"s" * 65)}, "a signature of 65 (an envkeep client"),
    }
    for field, (change, said) in cases.items():
        refused = client.post(f"{env}/secrets", json={"writes": [{**_write("s1", 0), **change}]})
        assert refused.status_code == 400, (field, refused.text)
        assert said in refused.json()["title"], field
    assert client.get(f"{env}/snapshot").json()["secrets"] == []
    largest = {**_write("s1", 0), "name_ct": b64(b"n" * name_envelope)}
    assert client.post(f"{env}/secrets", json={"writes": [largest]}).status_code == 200


def test_audit_filters_by_time_bounds_and_by_a_members_email(
    client: TestClient, admin: dict[str, Any]
) -> None:
    workspace = admin["workspace_id"]
    client.get(f"{_project(client, workspace)}/snapshot")
    audit = f"/v1/workspaces/{workspace}/audit"
    events = client.get(audit).json()["events"]
    read = events[-1]
    assert read["action"] == "secrets.read"
    moment = datetime.fromisoformat(read["at"])

    def seqs(**params: str) -> list[int]:
        response = client.get(audit, params=params)
        assert response.status_code == 200, response.text
        return [e["seq"] for e in response.json()["events"]]

    # The bound is a time, whatever its spelling: Z, another offset, no microseconds.
    same = moment.astimezone(timezone(timedelta(hours=-5))).isoformat()
    assert seqs(since=same)[0] == read["seq"]
    assert read["seq"] not in seqs(until=same)
    assert seqs(since=moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))[0] == read["seq"]
    assert seqs(since="2000-01-01") == [e["seq"] for e in events]
    assert seqs(until="2000-01-01T00:00") == []
    refused = client.get(audit, params={"since": "yesterday"})
    assert refused.status_code == 400, refused.text
    assert "yesterday" in refused.json()["title"]
    assert seqs(principal="ADMIN@example.com") == [e["seq"] for e in events]
    assert seqs(principal=read["principal_id"]) == [e["seq"] for e in events]
    assert seqs(principal="nobody@example.com") == []
    names = client.get(audit).json()["names"]
    assert names == {read["principal_id"]: "admin@example.com"}


@pytest.mark.parametrize("after", [str(2**63), "-1", str(10**30)])
def test_an_audit_cursor_out_of_range_is_refused_not_a_server_error(
    client: TestClient, admin: dict[str, Any], after: str
) -> None:
    answer = client.get(f"/v1/workspaces/{admin['workspace_id']}/audit", params={"after": after})
    assert answer.status_code == 422, answer.text
    assert "query.after" in answer.json()["title"]


def test_audit_newest_gives_the_last_events_that_match_in_chain_order(
    client: TestClient, admin: dict[str, Any]
) -> None:
    workspace = admin["workspace_id"]
    environment = _project(client, workspace)
    for _ in range(3):
        client.get(f"{environment}/snapshot")
    audit = f"/v1/workspaces/{workspace}/audit"
    every = [e["seq"] for e in client.get(audit).json()["events"]]
    assert len(every) > 3

    page = client.get(audit, params={"newest": "true", "limit": 2}).json()

    assert [e["seq"] for e in page["events"]] == every[-2:]
    assert page["next_after"] is None
    reads = [
        e["seq"] for e in client.get(audit, params={"action": "secrets.read"}).json()["events"]
    ]
    newest_reads = client.get(
        audit, params={"action": "secrets.read", "newest": "true", "limit": 2}
    )
    assert [e["seq"] for e in newest_reads.json()["events"]] == reads[-2:]
