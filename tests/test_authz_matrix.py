"""Who may call what: every route of the API, called by principals holding admin, write or read
at workspace, project or environment scope (users and a service account), a former member,
another workspace's admin, a pending invite and no credentials at all, checked against one
policy table on SQLite and on PostgreSQL. A denied request changes nothing, and no workspace
reads or writes another's data.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

import fastapi.routing
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from envkeep.api.app import create_app
from envkeep.api.ratelimit import Limiter
from envkeep.app import credentials
from envkeep.app.policy import Role
from envkeep.store.engine import open_engine, sqlite_url
from tests.authz_support import (
    AUTH_KEY,
    BOUND,
    DATABASES,
    DENIALS,
    KEY,
    SCOPES,
    Attempt,
    Caller,
    World,
    b64,
    build_world,
    fresh,
    joining,
    migrated_database,
    scope_fields,
    secret_write,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    import httpx
    from fastapi import FastAPI

Route = tuple[str, str]  # (method, path template), as the app declares it

WS = "/v1/workspaces/{workspace_id}"
PROJECT = f"{WS}/projects/{{project}}"
ENV = f"{PROJECT}/environments/{{environment}}"
ENVIRONMENTS = (BOUND, "prod")

# Served without a session: liveness, metrics and docs, and the routes that start one.
UNAUTHENTICATED = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("POST", "/v1/auth/prelogin"),
    ("POST", "/v1/auth/login"),
    ("POST", "/v1/invites/accept"),
}


class Need(NamedTuple):
    """The least role a route needs, and where. ``role`` None: any valid session will do.
    ``scope`` "named": the scope the request names (query or body), whichever of the three;
    "anywhere": a binding at any scope of the workspace will do. ``or_creator``: the principal
    that made the target (a token) may too, whatever its role. ``named_at``: the scopes a
    "named" request may name (the audit trail: a workspace's or a project's, no environment's)."""

    role: Role | None
    scope: str
    or_creator: bool = False
    named_at: tuple[str, ...] = SCOPES
    # A role held anywhere (any workspace) is needed too: a session of a user removed from
    # every workspace may not give itself one (`app/left_accounts`).
    member: bool = False


# THE policy table, read off app/ and api/routes_*.py. An "environment" need is on the
# environment in the URL; a "project" need is on project shop, whatever its environments.
POLICY: dict[Route, Need] = {
    ("POST", "/v1/auth/logout"): Need(None, "session"),
    ("GET", "/v1/whoami"): Need(None, "session"),
    ("GET", "/v1/principals/{principal_id}"): Need(None, "session"),
    ("GET", "/v1/token/self"): Need(None, "session"),  # 404 unless a service account calls
    ("GET", "/v1/sessions"): Need(None, "session"),  # the caller's own
    ("DELETE", "/v1/sessions/{session_id}"): Need(None, "session"),  # the caller's own
    ("POST", "/v1/account/passphrase"): Need(None, "session"),  # 401 for a service account
    ("POST", "/v1/account/passphrase/check"): Need(None, "session"),  # as the change
    ("POST", "/v1/workspaces"): Need(None, "session", member=True),  # a new tenant, its admin
    # The invite's own account accepts it (the code decides where; the cases send none valid).
    ("POST", "/v1/invites/join"): Need(None, "session"),
    ("GET", f"{WS}/projects"): Need(Role.READ, "workspace"),
    ("POST", f"{WS}/projects"): Need(Role.ADMIN, "workspace"),
    # A role on the project or on one of its environments (any role here: one project); each
    # sees the environments it reads, and every member sees the bindings beside its own.
    ("GET", f"{PROJECT}/services"): Need(Role.READ, "anywhere"),
    ("POST", f"{PROJECT}/services"): Need(Role.ADMIN, "project"),
    ("DELETE", f"{PROJECT}/services/{{name}}"): Need(Role.ADMIN, "project"),
    ("GET", f"{PROJECT}/environments"): Need(Role.READ, "anywhere"),
    ("POST", f"{PROJECT}/environments"): Need(Role.ADMIN, "project"),
    ("PATCH", f"{PROJECT}/environments/{{name}}"): Need(Role.ADMIN, "environment"),
    ("DELETE", f"{PROJECT}/environments/{{name}}"): Need(Role.ADMIN, "environment"),
    ("GET", f"{ENV}/snapshot"): Need(Role.READ, "environment"),
    ("POST", f"{ENV}/secrets"): Need(Role.WRITE, "environment"),
    ("GET", f"{ENV}/secrets/{{secret_id}}/versions"): Need(Role.READ, "environment"),
    ("GET", f"{ENV}/versions"): Need(Role.READ, "environment"),  # a scope's, at a time
    ("GET", f"{ENV}/readers"): Need(Role.ADMIN, "environment"),
    ("POST", f"{ENV}/rotate"): Need(Role.ADMIN, "environment"),
    ("GET", f"{ENV}/keys-missing"): Need(Role.ADMIN, "environment"),
    ("POST", f"{ENV}/shares"): Need(Role.ADMIN, "environment"),
    # The whole trail (no project named): the workspace's admins; a project's events
    # (?project=shop): its admins too. An environment's admin reads no trail.
    ("GET", f"{WS}/audit"): Need(Role.ADMIN, "named", named_at=("workspace", "project")),
    ("GET", f"{WS}/members"): Need(Role.READ, "anywhere"),
    # Looked up to seal shares to: by an admin of any scope here (a project's admin grants).
    ("GET", f"{WS}/principals/by-name"): Need(Role.ADMIN, "anywhere"),
    ("GET", f"{WS}/principals/{{principal_id}}/invite-proofs"): Need(Role.ADMIN, "anywhere"),
    ("GET", f"{WS}/scope-environments"): Need(Role.READ, "named"),
    ("POST", f"{WS}/members/grant"): Need(Role.ADMIN, "named"),
    ("POST", f"{WS}/members/revoke"): Need(Role.ADMIN, "named"),
    ("POST", f"{WS}/members/remove"): Need(Role.ADMIN, "workspace"),
    # The workspace's admins, for an account whose every role is here (`account_reset`).
    ("POST", f"{WS}/members/reset"): Need(Role.ADMIN, "workspace"),
    ("POST", f"{WS}/members/reset/check"): Need(Role.ADMIN, "workspace"),  # as the reset
    # As reset: an admin of every workspace the account is in (`account_reach`).
    ("GET", f"{WS}/members/{{principal_id}}/sessions"): Need(Role.ADMIN, "workspace"),
    ("POST", f"{WS}/members/{{principal_id}}/sessions/end"): Need(Role.ADMIN, "workspace"),
    ("POST", f"{WS}/invites"): Need(Role.ADMIN, "named"),
    # As members: each sees the invites to scopes its roles reach.
    ("GET", f"{WS}/invites"): Need(Role.READ, "anywhere"),
    # As making it: admin at the invite's scope (the cases make one at the named scope).
    ("DELETE", f"{WS}/invites/{{invite_id}}"): Need(Role.ADMIN, "named"),
    # Any member: each sees the tokens whose scope it reads (all of them: a workspace reader).
    ("GET", f"{WS}/tokens"): Need(Role.READ, "anywhere"),
    # The role the new account gets, at the scope it gets it (a subset of the creator's
    # rights): the cases ask for write.
    ("POST", f"{WS}/tokens"): Need(Role.WRITE, "named"),
    # Its creator, or an admin wherever the account holds a role: cutting off access one gave
    # needs no more than giving it. The cases make it read at the named scope, by the owner
    # and, where the caller may make that token itself (`MAKES_A_READ_TOKEN`), by the caller.
    ("POST", f"{WS}/tokens/{{label}}/revoke"): Need(Role.ADMIN, "named", or_creator=True),
    # As revoke (admin where the account holds its role), and the role itself (implied).
    ("POST", f"{WS}/tokens/{{label}}/rotate"): Need(Role.ADMIN, "named"),
}


# Who may make a read token at the named scope (`POST …/tokens` asks for the role it gives).
MAKES_A_READ_TOKEN = Need(Role.READ, "named")


def allowed(caller: Caller, need: Need, scope: str, target: str, *, creator: bool = False) -> bool:
    """The policy as DESIGN §5 states it: a binding covers its scope and everything under it;
    a caller needs a covering binding with at least the route's role (or, where the route
    says so, to be the ``creator`` of its target). Deny by default."""
    if not caller.authenticated or (need.member and caller.roleless):
        return False
    if need.role is None or (need.or_creator and creator):
        return True
    if caller.role is None or caller.role < need.role:
        return False
    if caller.scope == "workspace" or need.scope == "anywhere":
        return True
    if caller.scope == "project":
        return scope in {"project", "environment"}
    return caller.scope == "environment" and scope == "environment" and target == BOUND


@pytest.fixture(scope="module", params=DATABASES)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """One server and one set of callers per database, shared by the whole module."""
    with migrated_database(request.param, request, tmp_path_factory.mktemp("authz")) as url:
        engine = open_engine(url)
        # Rate limits off (rate=0): thousands of requests from one client are the point here.
        # The login throttle stays on at any rate; passphrase changes and checks spend it,
        # and the matrix proves passphrases for every caller, so it gets a budget to match.
        app = create_app(url, rate=0, refusals_per_minute=1_000_000)
        app.state.envkeep.limits.logins = Limiter(rate=1e9, burst=1e12)
        with TestClient(app) as client:
            yield build_world(client, engine)
        engine.dispose()


# --- One well-formed request per route (and per scope, where the request names one) --------


def _logout(w: World, caller: Caller, _target: str) -> Attempt:
    """Logging out ends the session it is sent with: a session of its own, then. (A service
    account has one token only: a fresh read@workspace account stands in for it.)"""
    token = None
    if caller.email is not None:
        token = w.login(caller.email)
    elif caller.service:
        token = w.new_token(Role.READ, "workspace")[2]
    return Attempt("POST", "/v1/auth/logout", token=token)


def _own_session(w: World, caller: Caller) -> tuple[str, str | None]:
    """(id, token) of a new session of the caller's own, or of the owner's for a caller with
    no account; the token is None when the caller's usual session should end it."""
    if caller.service:
        token = w.new_token(Role.READ, "workspace")[2]
    else:
        token = w.login(caller.email or str(w.owner.email))
    mine = w.send(caller, Attempt("GET", "/v1/sessions", token=token)).json()
    session_id = next(s["id"] for s in mine if s["current"])
    return session_id, token if caller.service else None


def _end_session(w: World, caller: Caller, _target: str) -> Attempt:
    session_id, token = _own_session(w, caller)
    return Attempt("DELETE", f"/v1/sessions/{session_id}", token=token)


def _same_passphrase(_w: World, _caller: Caller, _target: str) -> Attempt:
    """A passphrase change to the same login key (so that the caller can log in after)."""
    body = {
        "old_auth_key": b64(AUTH_KEY),
        "new_auth_key": b64(AUTH_KEY),
        "kdf_salt": b64(b"s" * 16),
        "kdf": {"memory_kib": 65536, "iterations": 3, "lanes": 4},
        "wrapped_private_keys": b64(b"wrapped"),
    }
    return Attempt("POST", "/v1/account/passphrase", json=body)


def _remove_service(w: World, _caller: Caller, _target: str) -> Attempt:
    name = fresh("svc")
    w.as_owner("POST", f"{w.shop}/services", json={"name": name})
    return Attempt("DELETE", f"{w.shop}/services/{name}")


def _describe(w: World, caller: Caller, target: str) -> Attempt:
    body = {"description": f"touched by {caller.label}"}
    return Attempt("PATCH", f"{w.shop}/environments/{target}", json=body)


def _delete_environment(w: World, caller: Caller, target: str) -> Attempt:
    """dev and prod stay: a throw-away environment stands in for the target, and an
    environment-scoped caller holds its role on it exactly when the target is dev."""
    name, env_id = fresh("env"), str(uuid.uuid4())
    w.as_owner(
        "POST", f"{w.shop}/environments", json={"id": env_id, "name": name, "sealed_share": KEY}
    )
    if caller.scope == "environment" and caller.role is not None and target == BOUND:
        share = {"environment_id": env_id, "key_version": 1, "sealed": KEY}
        grant = {
            "principal_id": caller.principal_id,
            "role": str(caller.role),
            **scope_fields("environment", name),
            "shares": [{**share, "recipient_id": caller.principal_id}],
        }
        w.as_owner("POST", f"{w.ws}/members/grant", json=grant)
    return Attempt("DELETE", f"{w.shop}/environments/{name}")


def _write(w: World, _caller: Caller, target: str) -> Attempt:
    _, key_version = w.environment(target)
    body = {"writes": [secret_write(str(uuid.uuid4()), key_version)]}
    return Attempt("POST", f"{w.env(target)}/secrets", json=body)


def _rotate(w: World, _caller: Caller, target: str) -> Attempt:
    """A new key for every reader, every variable rewritten under it (the server refuses a
    rotation that leaves a value under the old key)."""
    env_id, version = w.environment(target)
    readers = w.as_owner("GET", f"{w.env(target)}/readers")
    share = {"environment_id": env_id, "key_version": version + 1, "sealed": KEY}
    with w.engine.connect() as connection:
        secrets = connection.execute(
            text(
                "SELECT id, scope, current_version, deleted FROM secrets WHERE environment_id = :e"
            ),
            {"e": env_id},
        ).all()
    body = {
        "new_key_version": version + 1,
        "shares": [{**share, "recipient_id": r["id"]} for r in readers],
        "writes": [
            {
                **secret_write(str(secret_id), version + 1),
                "scope": scope,
                "expected_version": current,
                "value_ct": None if deleted else KEY,
            }
            for secret_id, scope, current, deleted in secrets
        ],
    }
    return Attempt("POST", f"{w.env(target)}/rotate", json=body)


def _grant_body(w: World, scope: str, target: str) -> dict[str, Any]:
    return {
        "principal_id": w.bystander,
        "role": "read",
        **scope_fields(scope, target),
        "shares": w.shares(w.bystander, scope, target),
    }


def _grant(scope: str) -> Callable[[World, Caller, str], Attempt]:
    def build(w: World, _caller: Caller, target: str) -> Attempt:
        w.enlist_bystander()  # a role goes only to a member (a case may have removed it)
        return Attempt("POST", f"{w.ws}/members/grant", json=_grant_body(w, scope, target))

    return build


def _revoke(scope: str) -> Callable[[World, Caller, str], Attempt]:
    def build(w: World, _caller: Caller, target: str) -> Attempt:
        w.enlist_bystander()
        w.as_owner("POST", f"{w.ws}/members/grant", json=_grant_body(w, scope, target))
        body = {"principal_id": w.bystander, **scope_fields(scope, target)}
        return Attempt("POST", f"{w.ws}/members/revoke", json=body)

    return build


def _remove(w: World, _caller: Caller, target: str) -> Attempt:
    w.enlist_bystander()
    w.as_owner("POST", f"{w.ws}/members/grant", json=_grant_body(w, "workspace", target))
    return Attempt("POST", f"{w.ws}/members/remove", json={"principal_id": w.bystander})


def _fresh_member(w: World, name: str) -> str:
    """A new read member of this workspace only, logged in once (by joining): its id."""
    email = f"{fresh(name)}@example.com"
    code = w.as_owner("POST", f"{w.ws}/invites", json={"email": email, "role": "read"})["code"]
    joined = w.client.post("/v1/invites/accept", json=joining(code, email))
    assert joined.status_code == 201, joined.text
    return str(joined.json()["principal_id"])


def _reset(w: World, _caller: Caller, _target: str) -> Attempt:
    """A reset voids its account's keys and sessions: a fresh member of this workspace only
    (the bystander has a workspace of its own, and its session serves other cases)."""
    body = {"principal_id": _fresh_member(w, "reset"), "role": "read"}
    return Attempt("POST", f"{w.ws}/members/reset", json=body)


def _reset_check(w: World, _caller: Caller, _target: str) -> Attempt:
    """The check a reset makes first changes nothing: a fresh member, as reset's case has."""
    body = {"principal_id": _fresh_member(w, "checked"), "role": "read"}
    return Attempt("POST", f"{w.ws}/members/reset/check", json=body)


def _member_sessions(w: World, _caller: Caller, _target: str) -> Attempt:
    return Attempt("GET", f"{w.ws}/members/{_fresh_member(w, 'listed')}/sessions")


def _member_logout(w: World, _caller: Caller, _target: str) -> Attempt:
    """Ends the sessions of a fresh member (one: its join's), as reset's case does."""
    principal_id = _fresh_member(w, "logout")
    return Attempt("POST", f"{w.ws}/members/{principal_id}/sessions/end", json={})


def _invite(scope: str) -> Callable[[World, Caller, str], Attempt]:
    def build(w: World, _caller: Caller, target: str) -> Attempt:
        body = {"email": f"{fresh('invitee')}@example.com", "role": "read"}
        return Attempt("POST", f"{w.ws}/invites", json={**body, **scope_fields(scope, target)})

    return build


def _withdraw_invite(scope: str) -> Callable[[World, Caller, str], Attempt]:
    def build(w: World, _caller: Caller, target: str) -> Attempt:
        return Attempt("DELETE", f"{w.ws}/invites/{w.new_invite(scope, target)}")

    return build


def _scope_environments(scope: str) -> Callable[[World, Caller, str], Attempt]:
    def build(w: World, _caller: Caller, target: str) -> Attempt:
        return Attempt("GET", f"{w.ws}/scope-environments", params=scope_fields(scope, target))

    return build


def _create_token(scope: str) -> Callable[[World, Caller, str], Attempt]:
    def build(w: World, _caller: Caller, target: str) -> Attempt:
        principal_id = str(uuid.uuid4())
        body = {
            "principal_id": principal_id,
            "name": fresh("ci"),
            "role": "write",
            **scope_fields(scope, target),
            "encryption_public": KEY,
            "signing_public": KEY,
            "wrapped_private_keys": KEY,
            "token_hash": credentials.token_hash(fresh("token")),
            "shares": w.shares(principal_id, scope, target),
        }
        return Attempt("POST", f"{w.ws}/tokens", json=body)

    return build


def _revoke_token(scope: str) -> Callable[[World, Caller, str], Attempt]:
    def build(w: World, _caller: Caller, target: str) -> Attempt:
        label, _, _ = w.new_token(Role.READ, scope, target)
        return Attempt("POST", f"{w.ws}/tokens/{label}/revoke")

    return build


def _made_by_caller(caller: Caller, scope: str, target: str) -> bool:
    """Whether the "own" revoke cases make the token as ``caller``: where it may."""
    return allowed(caller, MAKES_A_READ_TOKEN, scope, target)


def _revoke_own_token(scope: str) -> Callable[[World, Caller, str], Attempt]:
    """A token the caller made, where it may make one; the owner's elsewhere."""

    def build(w: World, caller: Caller, target: str) -> Attempt:
        maker = caller if _made_by_caller(caller, scope, target) else None
        label, _, _ = w.new_token(Role.READ, scope, target, by=maker)
        return Attempt("POST", f"{w.ws}/tokens/{label}/revoke")

    return build


def _rotate_token(scope: str) -> Callable[[World, Caller, str], Attempt]:
    def build(w: World, _caller: Caller, target: str) -> Attempt:
        label, _, _ = w.new_token(Role.READ, scope, target)
        principal_id = str(uuid.uuid4())
        body = {
            "principal_id": principal_id,
            "encryption_public": KEY,
            "signing_public": KEY,
            "wrapped_private_keys": KEY,
            "token_hash": credentials.token_hash(fresh("token")),
            "shares": w.shares(principal_id, scope, target),
        }
        return Attempt("POST", f"{w.ws}/tokens/{label}/rotate", json=body)

    return build


def _get(
    url: Callable[[World, str], str], **params: str
) -> Callable[[World, Caller, str], Attempt]:
    def build(w: World, _caller: Caller, target: str) -> Attempt:
        return Attempt("GET", url(w, target), params=params or None)

    return build


def _post(
    url: Callable[[World, str], str], body: Callable[[], dict[str, Any]]
) -> Callable[[World, Caller, str], Attempt]:
    def build(w: World, _caller: Caller, target: str) -> Attempt:
        return Attempt("POST", url(w, target), json=body())

    return build


class Case(NamedTuple):
    route: Route
    scope: str  # where this request's target is
    build: Callable[[World, Caller, str], Attempt]
    # When allowed, what else than 2xx may answer (about the data, not about access):
    user_answers: frozenset[int] = frozenset()  # …to a user's session
    service_answers: frozenset[int] = frozenset()  # …to a service account's token
    own: bool = False  # the target is the caller's own, where it may make one (`or_creator`)


def _new_environment() -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "name": fresh("env"), "sealed_share": KEY}


CASES: list[Case] = [
    Case(  # a token is ended by token revoke, which ends the tokens it made too
        ("POST", "/v1/auth/logout"),
        "session",
        _logout,
        service_answers=frozenset({403}),
    ),
    Case(("GET", "/v1/whoami"), "session", _get(lambda _w, _t: "/v1/whoami")),
    Case(  # one's own: another's shows only across a workspace both are in (test_api)
        ("GET", "/v1/principals/{principal_id}"),
        "session",
        lambda w, c, _t: Attempt("GET", f"/v1/principals/{c.principal_id or w.owner.principal_id}"),
    ),
    Case(
        ("GET", "/v1/token/self"),
        "session",
        _get(lambda _w, _t: "/v1/token/self"),
        user_answers=frozenset({404}),  # a user's session is no service account
    ),
    Case(("GET", "/v1/sessions"), "session", _get(lambda _w, _t: "/v1/sessions")),
    Case(
        ("DELETE", "/v1/sessions/{session_id}"),
        "session",
        _end_session,
        service_answers=frozenset({403}),  # as logout: token revoke ends a token
    ),
    Case(
        ("POST", "/v1/account/passphrase"),
        "session",
        _same_passphrase,
        service_answers=frozenset({401}),  # a service account has no passphrase to prove
    ),
    Case(
        ("POST", "/v1/account/passphrase/check"),
        "session",
        lambda _w, _c, _t: Attempt(
            "POST", "/v1/account/passphrase/check", json={"auth_key": b64(AUTH_KEY)}
        ),
        service_answers=frozenset({401}),
    ),
    Case(
        ("POST", "/v1/workspaces"),
        "session",
        _post(lambda _w, _t: "/v1/workspaces", lambda: {"name": fresh("tenant")}),
        service_answers=frozenset({403}),  # a token holds no more than its maker gave it
    ),
    Case(
        ("POST", "/v1/invites/join"),
        "session",
        _post(lambda _w, _t: "/v1/invites/join", lambda: {"code": f"ek_inv_{uuid.uuid4()}_x"}),
        user_answers=frozenset({403}),  # no such invite: the code, not the session, is refused
        service_answers=frozenset({403}),  # only a user's account accepts invites
    ),
    Case(("GET", f"{WS}/projects"), "workspace", _get(lambda w, _t: f"{w.ws}/projects")),
    Case(
        ("POST", f"{WS}/projects"),
        "workspace",
        _post(lambda w, _t: f"{w.ws}/projects", lambda: {"name": fresh("p"), "environments": []}),
    ),
    Case(("GET", f"{PROJECT}/services"), "anywhere", _get(lambda w, _t: f"{w.shop}/services")),
    Case(
        ("POST", f"{PROJECT}/services"),
        "project",
        _post(lambda w, _t: f"{w.shop}/services", lambda: {"name": fresh("svc")}),
    ),
    Case(("DELETE", f"{PROJECT}/services/{{name}}"), "project", _remove_service),
    Case(
        ("GET", f"{PROJECT}/environments"),
        "anywhere",
        _get(lambda w, _t: f"{w.shop}/environments"),
    ),
    Case(
        ("POST", f"{PROJECT}/environments"),
        "project",
        _post(lambda w, _t: f"{w.shop}/environments", _new_environment),
    ),
    Case(("PATCH", f"{PROJECT}/environments/{{name}}"), "environment", _describe),
    Case(("DELETE", f"{PROJECT}/environments/{{name}}"), "environment", _delete_environment),
    Case(
        ("GET", f"{ENV}/snapshot"),
        "environment",
        _get(lambda w, t: f"{w.env(t)}/snapshot", all_scopes="true"),
    ),
    Case(("POST", f"{ENV}/secrets"), "environment", _write),
    Case(
        ("GET", f"{ENV}/secrets/{{secret_id}}/versions"),
        "environment",
        _get(lambda w, t: f"{w.env(t)}/secrets/{w.secret_in(t)}/versions"),
    ),
    Case(
        ("GET", f"{ENV}/versions"),
        "environment",
        _get(lambda w, t: f"{w.env(t)}/versions", scope="shared", at="2100-01-01T00:00:00Z"),
    ),
    Case(("GET", f"{ENV}/readers"), "environment", _get(lambda w, t: f"{w.env(t)}/readers")),
    Case(("POST", f"{ENV}/rotate"), "environment", _rotate),
    Case(
        ("GET", f"{ENV}/keys-missing"),
        "environment",
        _get(lambda w, t: f"{w.env(t)}/keys-missing"),
    ),
    Case(  # none due: the shares a new environment's creator seals are the API's own tests'
        ("POST", f"{ENV}/shares"),
        "environment",
        lambda w, _c, t: Attempt("POST", f"{w.env(t)}/shares", json=[]),
    ),
    Case(("GET", f"{WS}/audit"), "workspace", _get(lambda w, _t: f"{w.ws}/audit", limit="5")),
    Case(
        ("GET", f"{WS}/audit"),
        "project",
        _get(lambda w, _t: f"{w.ws}/audit", limit="5", project="shop"),
    ),
    Case(("GET", f"{WS}/members"), "anywhere", _get(lambda w, _t: f"{w.ws}/members")),
    Case(
        ("GET", f"{WS}/principals/by-name"),
        "anywhere",
        _get(lambda w, _t: f"{w.ws}/principals/by-name", name="owner@example.com"),
    ),
    Case(("GET", f"{WS}/tokens"), "anywhere", _get(lambda w, _t: f"{w.ws}/tokens")),
    Case(("GET", f"{WS}/invites"), "anywhere", _get(lambda w, _t: f"{w.ws}/invites")),
    Case(("POST", f"{WS}/members/remove"), "workspace", _remove),
    Case(("POST", f"{WS}/members/reset"), "workspace", _reset),
    Case(("POST", f"{WS}/members/reset/check"), "workspace", _reset_check),
    Case(("GET", f"{WS}/members/{{principal_id}}/sessions"), "workspace", _member_sessions),
    Case(("POST", f"{WS}/members/{{principal_id}}/sessions/end"), "workspace", _member_logout),
    Case(
        ("GET", f"{WS}/principals/{{principal_id}}/invite-proofs"),
        "anywhere",
        _get(
            lambda w, _t: f"{w.ws}/principals/{w.caller('read@project').principal_id}/invite-proofs"
        ),
    ),
    *(
        Case(route, scope, build(scope))
        for route, build in [
            (("GET", f"{WS}/scope-environments"), _scope_environments),
            (("POST", f"{WS}/members/grant"), _grant),
            (("POST", f"{WS}/members/revoke"), _revoke),
            (("POST", f"{WS}/invites"), _invite),
            (("DELETE", f"{WS}/invites/{{invite_id}}"), _withdraw_invite),
            (("POST", f"{WS}/tokens"), _create_token),
            (("POST", f"{WS}/tokens/{{label}}/revoke"), _revoke_token),
            (("POST", f"{WS}/tokens/{{label}}/rotate"), _rotate_token),
        ]
        for scope in SCOPES
    ),
    *(
        Case(("POST", f"{WS}/tokens/{{label}}/revoke"), scope, _revoke_own_token(scope), own=True)
        for scope in SCOPES
    ),
]


def _matrix() -> list[Any]:
    params = []
    for case in CASES:
        method, path = case.route
        short = path.replace(WS, "ws").replace(ENV.replace(WS, ""), "/env")
        for target in ENVIRONMENTS if case.scope == "environment" else (BOUND,):
            where = f"{case.scope}:{target}" if case.scope == "environment" else case.scope
            own = " (own)" if case.own else ""
            params.append(pytest.param(case, target, id=f"{method} {short} @{where}{own}"))
    return params


def served_routes(app: FastAPI) -> set[Route]:
    """Every (method, path) the app answers, however its routers are included."""
    contexts = getattr(fastapi.routing, "iter_route_contexts", None)  # FastAPI >= 0.165
    routes: list[Any] = list(contexts(app.routes)) if contexts else list(app.routes)
    return {
        (method, str(route.path))
        for route in routes
        for method in (route.methods or set()) - {"HEAD"}
    }


# --- The table itself -----------------------------------------------------------------------


def test_the_policy_table_names_every_route_the_app_serves(tmp_path: Path) -> None:
    app = create_app(sqlite_url(tmp_path / "routes.db"))
    served = served_routes(app)
    documented = {
        (method.upper(), path)
        for path, methods in app.openapi()["paths"].items()
        for method in methods
    }
    assert documented <= served  # the enumeration misses nothing the API documents
    assert served - UNAUTHENTICATED == set(POLICY), "a route without a policy, or a stale one"


def test_every_route_in_the_table_is_called_at_every_scope_it_can_target() -> None:
    called: dict[Route, set[str]] = {}
    for case in CASES:
        called.setdefault(case.route, set()).add(case.scope)
    assert called.keys() == POLICY.keys()
    for route, need in POLICY.items():
        assert called[route] == (set(need.named_at) if need.scope == "named" else {need.scope}), (
            route
        )


def test_each_caller_holds_exactly_the_binding_it_was_given(world: World) -> None:
    with world.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT principal_id, role, project_id, environment_id FROM role_bindings"
                " WHERE workspace_id = :ws"
            ),
            {"ws": world.workspace},
        ).all()
    dev_id, _ = world.environment(BOUND)
    held: dict[str, list[tuple[str, str]]] = {}
    for principal, role, project, environment in rows:
        if environment not in {None, dev_id}:
            continue  # a throw-away environment a deletion case granted on
        scope = "environment" if environment else "project" if project else "workspace"
        held.setdefault(str(principal), []).append((str(role), scope))
    for caller in world.callers:
        expected = [(str(caller.role), str(caller.scope))] if caller.role is not None else []
        assert held.get(str(caller.principal_id), []) == expected, caller.label
    assert len({c.label for c in world.callers}) == len(world.callers) == 16


# --- The matrix -----------------------------------------------------------------------------


# A token by name: a member who does not see it in `token list` is answered as for one that
# does not exist (404), so token names cannot be probed.
TOKEN_BY_NAME = {
    ("POST", f"{WS}/tokens/{{label}}/revoke"),
    ("POST", f"{WS}/tokens/{{label}}/rotate"),
}


def _hidden(caller: Caller, case: Case, target: str) -> bool:
    """Whether ``case`` names a token ``caller`` may not see: made by another, with its role
    where the caller reads nothing (`token list`'s rule: the read a token there needs)."""
    if case.route not in TOKEN_BY_NAME or caller.role is None:
        return False
    made = case.own and _made_by_caller(caller, case.scope, target)
    return not made and not allowed(caller, MAKES_A_READ_TOKEN, case.scope, target)


def _verdict(
    caller: Caller, want: bool, case: Case, response: httpx.Response, changed: bool, *, hidden: bool
) -> str | None:
    """None when the answer is what the table says; otherwise what went wrong."""
    status = response.status_code
    if not caller.authenticated:
        ok = status == 401 and not changed
        return None if ok else f"want 401 and no change, got {status} (changed: {changed})"
    if want:
        also = case.service_answers if caller.service else case.user_answers
        ok = response.is_success or status in also
        return None if ok else f"want 2xx, got {status}: {response.text[:300]}"
    denied = {404} if hidden else {403} if caller.role is not None else {403, 404}
    problem = response.headers.get("content-type") == "application/problem+json"
    if status in denied and problem and not changed:
        return None
    return f"want {sorted(denied)} and no change, got {status} (changed: {changed})"


Rows = list[dict[str, list[tuple[str, ...]]]]


def _apart(rows: Rows | None) -> Rows:
    """What is stored, without the refusals' events."""
    return [{k: v for k, v in scope.items() if k != DENIALS} for scope in rows or []]


def _denials_verdict(
    world: World,
    caller: Caller,
    case: Case,
    attempt: Attempt,
    response: httpx.Response,
    *,
    before: Rows,
    after: Rows | None,
) -> str | None:
    """None when a refusal left the events it should (`api/denials.py`): one ``denied`` event
    naming what it aimed at, in the workspace the route names, for a 403 to a member of that
    workspace (or a former one) of a change or a read of values or the trail; none for
    anything else."""
    method, template = case.route
    pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
    named = re.fullmatch(pattern, urlsplit(attempt.url).path)
    params = named.groupdict() if named else {}
    environment = params.get("environment") or (
        params.get("name") if "/environments/{name}" in template else None
    )
    project = params.get("project")
    aimed = "workspace" if project is None else "/".join(filter(None, (project, environment)))
    if "/tokens/{label}" in template:  # a token's name, as its own events name it
        aimed = params["label"]
    members = {  # a removed member's refusals are recorded too; another tenant's never
        world.workspace: caller.role is not None or caller.label == "former member",
        world.foreign_workspace: caller is world.foreign,
    }
    recorded = method != "GET" or template.endswith(("/snapshot", "/versions", "/audit"))
    for index, workspace in ((1, world.workspace), (2, world.foreign_workspace)):
        grown = Counter((after or [])[index].get(DENIALS, [])) - Counter(
            before[index].get(DENIALS, [])
        )
        new = sorted(row[:3] for row in grown.elements())  # (principal, target, outcome)
        due = (
            response.status_code == 403
            and recorded
            and params.get("workspace_id") == workspace
            and members[workspace]
            and caller.authenticated
        )
        want = [(str(caller.principal_id), aimed, "denied")] if due else []
        if new != want:
            return f"refusal events in {workspace}: want {want}, got {new}"
    return None


@pytest.mark.parametrize(("case", "target"), _matrix())
def test_each_caller_gets_exactly_what_the_policy_table_allows(
    world: World, case: Case, target: str
) -> None:
    need = POLICY[case.route]
    wrong = []
    for caller in world.callers:
        attempt = case.build(world, caller, target)
        own = case.own and _made_by_caller(caller, case.scope, target)
        want = allowed(caller, need, case.scope, target, creator=own)
        before = None if want else world.rows()
        response = world.send(caller, attempt)
        after = None if before is None else world.rows()
        changed = before is not None and _apart(after) != _apart(before)
        hidden = _hidden(caller, case, target)
        verdict = _verdict(caller, want, case, response, changed, hidden=hidden)
        if verdict is None and before is not None:
            verdict = _denials_verdict(
                world, caller, case, attempt, response, before=before, after=after
            )
        if verdict is not None:
            wrong.append(f"{caller.label}: {attempt.method} {attempt.url}: {verdict}")
    assert not wrong, "\n".join(wrong)


# --- Names the caller may not list ----------------------------------------------------------

UNKNOWN_NAMES = [
    pytest.param("GET", "/projects/nope/environments", ["shop"], id="unknown project"),
    pytest.param("POST", "/projects/nope/services", ["shop"], id="unknown project, add service"),
    pytest.param("GET", "/projects/shop/environments/nope/snapshot", ["dev", "prod"], id="env"),
    pytest.param("DELETE", "/projects/shop/environments/nope", ["dev", "prod"], id="env delete"),
    pytest.param("GET", "/scope-environments?project=nope", ["shop"], id="scope of a project"),
]


def _leaked(response: httpx.Response, names: list[str]) -> list[str]:
    """Names that appear in what the answer says (its problem type URL is not an answer)."""
    body = response.json()
    said = " ".join(str(body.get(k, "")) for k in ("title", "detail", "hint"))
    return [n for n in names if re.search(rf"\b{n}\b", said)]


@pytest.mark.parametrize(("method", "path", "names"), UNKNOWN_NAMES)
def test_a_foreign_admin_learns_no_names_from_another_workspace(
    world: World, method: str, path: str, names: list[str]
) -> None:
    body = {"name": "x"} if method == "POST" else None
    response = world.send(world.foreign, Attempt(method, f"{world.ws}{path}", json=body))
    assert response.status_code in {403, 404}
    assert not _leaked(response, names), f"another workspace's names: {response.text}"


@pytest.mark.parametrize(("method", "path", "names"), UNKNOWN_NAMES)
def test_a_dev_only_reader_learns_no_names_it_may_not_list(
    world: World, method: str, path: str, names: list[str]
) -> None:
    body = {"name": "x"} if method == "POST" else None
    reader = world.caller("read@environment")
    response = world.send(reader, Attempt(method, f"{world.ws}{path}", json=body))
    assert response.status_code in {403, 404}
    assert not _leaked(response, names), f"names it may not list: {response.text}"


# --- A project's audit trail ---------------------------------------------------------------


def _project_id(world: World, name: str) -> str:
    with world.engine.connect() as connection:
        found = connection.execute(
            text("SELECT id FROM projects WHERE workspace_id = :ws AND name = :name"),
            {"ws": world.workspace, "name": name},
        ).scalar_one()
    return str(found)


def _trail(world: World, caller: Caller, **params: str) -> tuple[list[dict[str, Any]], Any]:
    """Every event ``caller`` reads with ``params``, page by page; and the last page's
    ``project``."""
    events: list[dict[str, Any]] = []
    after = "0"
    while True:
        attempt = Attempt("GET", f"{world.ws}/audit", params={**params, "after": after})
        response = world.send(caller, attempt)
        assert response.status_code == 200, response.text
        page = response.json()
        events += page["events"]
        if page["next_after"] is None:
            return events, page["project"]
        after = str(page["next_after"])


def test_a_project_admin_reads_exactly_its_projects_events(world: World) -> None:
    other = fresh("ledger")
    world.as_owner("POST", f"{world.ws}/projects", json={"name": other, "environments": []})
    shop, ledger = _project_id(world, "shop"), _project_id(world, other)
    world.as_owner("GET", f"{world.env('prod')}/snapshot")  # who read prod: the project's
    admin = world.caller("admin@project")
    with world.engine.connect() as connection:
        stored = connection.execute(
            text("SELECT seq FROM audit_events WHERE workspace_id = :ws AND project_id = :p"),
            {"ws": world.workspace, "p": shop},
        )
        expected = sorted(seq for (seq,) in stored)

    events, limited = _trail(world, admin, project="shop")
    by_fallback, fallback_limited = _trail(world, admin, fallback_project="shop")
    whole, whole_limited = _trail(world, world.owner, fallback_project="shop")

    assert limited == fallback_limited == "shop"
    assert [e["seq"] for e in events] == expected
    assert {e["project_id"] for e in events} == {shop}
    assert {"project.create", "secrets.read"} <= {e["action"] for e in events}
    assert [e["seq"] for e in by_fallback] == expected
    assert whole_limited is None  # the workspace's admin reads the whole trail, as before
    assert {e["project_id"] for e in whole} >= {None, shop, ledger}
    created = [e for e in whole if e["action"] == "project.create" and e["target"] == other]
    assert [e["project_id"] for e in created] == [ledger]


def test_a_project_admin_is_refused_the_whole_trail_and_told_where_its_events_are(
    world: World,
) -> None:
    admin = world.caller("admin@project")
    whole = world.send(admin, Attempt("GET", f"{world.ws}/audit"))
    theirs = world.send(admin, Attempt("GET", f"{world.ws}/audit", params={"project": "nope"}))

    assert whole.status_code == 403
    assert "envkeep audit --project shop" in whole.json()["hint"]
    assert "audit verify" in whole.json()["hint"]
    assert theirs.status_code == 404  # a project it may not see is not told from a missing one


# Actions whose target names the project first (``shop``, ``shop/dev``).
NAMED_FIRST = {
    "project.create",
    "service.add",
    "service.remove",
    "environment.create",
    "environment.delete",
    "environment.update",
    "environment.share",
    "environment.rotate_key",
    "secrets.read",
    "secrets.write",
    "secrets.history",
    "member.grant",
    "member.revoke",
}


def test_every_event_records_the_project_it_is_about(world: World) -> None:
    shop = _project_id(world, "shop")
    tokens = {scope: world.new_token(Role.READ, scope)[0] for scope in SCOPES}
    world.as_owner("POST", f"{world.shop}/services", json={"name": fresh("svc")})
    world.as_owner("GET", f"{world.env('dev')}/snapshot")
    world.enlist_bystander()
    world.as_owner("POST", f"{world.ws}/members/grant", json=_grant_body(world, "project", BOUND))
    invites = {scope: world.new_invite(scope) for scope in SCOPES}
    reader = world.caller("read@environment")
    refused = world.send(reader, Attempt("GET", f"{world.env('prod')}/snapshot"))
    events, _ = _trail(world, world.owner)

    def about(e: dict[str, Any]) -> bool:
        target = str(e["target"])
        return target == "shop" or target.startswith("shop/")

    named = [e for e in events if e["action"] in NAMED_FIRST and about(e)]
    elsewhere = [e for e in events if e["action"] in NAMED_FIRST and not about(e)]
    made = {e["target"]: e["project_id"] for e in events if e["action"] == "token.create"}
    denied = [e for e in events if e["action"] == "request.denied" and about(e)]
    invited = [e for e in events if e["action"] == "member.invite"][-len(invites) :]
    assert refused.status_code == 403
    assert {"service.add", "secrets.read", "member.grant"} <= {e["action"] for e in named}
    assert {e["project_id"] for e in named} == {shop}
    assert shop not in {e["project_id"] for e in elsewhere}  # workspace-wide, or others
    assert [made[tokens[scope]] for scope in SCOPES] == [None, shop, shop]
    assert [e["project_id"] for e in invited] == [None, shop, shop]
    assert denied
    assert {e["project_id"] for e in denied} == {shop}
    # Each event names the same project in its details, which its hash covers (none: null).
    assert all(json.loads(e["details"])["project_id"] == e["project_id"] for e in events)


@pytest.mark.parametrize(
    "label", ["admin@environment", "write@project", "read@workspace", "write@workspace"]
)
def test_only_an_admin_of_the_project_or_the_workspace_reads_a_projects_trail(
    world: World, label: str
) -> None:
    caller = world.caller(label)
    for params in ({"project": "shop"}, {"fallback_project": "shop"}, {}):
        response = world.send(caller, Attempt("GET", f"{world.ws}/audit", params=params))
        assert response.status_code == 403, (params, response.text)


# --- Another workspace ----------------------------------------------------------------------


def test_the_foreign_admin_sees_only_its_own_workspace(world: World) -> None:
    eve = world.foreign
    mine = f"/v1/workspaces/{world.foreign_workspace}"
    whoami = world.send(eve, Attempt("GET", "/v1/whoami")).json()
    workspaces = {w["id"] for w in whoami["workspaces"]}  # and those it created in the matrix
    assert world.foreign_workspace in workspaces
    assert world.workspace not in workspaces
    projects = world.send(eve, Attempt("GET", f"{mine}/projects")).json()
    assert [(p["name"], p["workspace_id"]) for p in projects] == [("shop", world.foreign_workspace)]
    snapshot = world.send(eve, Attempt("GET", f"{mine}/projects/shop/environments/dev/snapshot"))
    assert snapshot.status_code == 200
    theirs = {world.environment("dev")[0], world.environment("prod")[0]}
    assert snapshot.json()["environment"]["id"] not in theirs
    assert world.secret_in("dev") not in {s["id"] for s in snapshot.json()["secrets"]}
    members = world.send(eve, Attempt("GET", f"{mine}/members")).json()
    assert [m["principal"]["id"] for m in members] == [eve.principal_id]
    events = world.send(eve, Attempt("GET", f"{mine}/audit")).json()["events"]
    assert events
    assert {e["workspace_id"] for e in events} == {world.foreign_workspace}
    readers = world.send(eve, Attempt("GET", f"{mine}/projects/shop/environments/dev/readers"))
    assert [r["id"] for r in readers.json()] == [eve.principal_id]
    assert world.send(eve, Attempt("GET", f"{mine}/tokens")).json() == []


def test_the_other_workspaces_names_and_ids_lead_nowhere_from_the_foreign_workspace(
    world: World,
) -> None:
    eve = world.foreign
    mine = f"/v1/workspaces/{world.foreign_workspace}"
    their_secret = world.secret_in("dev")
    their_token, _, _ = world.new_token(Role.READ, "workspace")
    theirs = world.rows()[1]
    env_id, _ = world.environment("dev", world.foreign_workspace)
    rotation = {
        "new_key_version": 2,
        "shares": [
            {
                "environment_id": env_id,
                "key_version": 2,
                "recipient_id": eve.principal_id,
                "sealed": KEY,
            }
        ],
        "writes": [secret_write(their_secret, 2) | {"expected_version": 1}],
    }
    env = f"{mine}/projects/shop/environments/dev"
    attempts = {
        "their env name": Attempt("GET", f"{mine}/projects/shop/environments/prod/snapshot"),
        "their service": Attempt("DELETE", f"{mine}/projects/shop/services/billing"),
        "their secret's history": Attempt("GET", f"{env}/secrets/{their_secret}/versions"),
        "their secret's id": Attempt(
            "POST", f"{env}/secrets", json={"writes": [secret_write(their_secret, 1)]}
        ),
        "their secret in a rotation": Attempt("POST", f"{env}/rotate", json=rotation),
        "their owner's role": Attempt(
            "POST", f"{mine}/members/revoke", json={"principal_id": world.owner.principal_id}
        ),
        "their token": Attempt("POST", f"{mine}/tokens/{their_token}/revoke"),
    }
    statuses = {what: world.send(eve, a).status_code for what, a in attempts.items()}
    assert all(400 <= s < 500 for s in statuses.values()), statuses
    assert statuses["their env name"] == statuses["their secret's history"] == 404
    assert world.rows()[1] == theirs  # not one row of the other workspace changed


@pytest.mark.parametrize("how", ["its role revoked", "the token revoked"])
def test_nobody_outside_a_workspace_can_revoke_its_tokens(world: World, how: str) -> None:
    """A token whose account holds no role any more (revoked as a member, or revoked already)
    is still the workspace's: deny by default, not allow because no binding asked for a check."""
    label, principal_id, _ = world.new_token(Role.READ, "project")
    if how == "its role revoked":
        body = {"principal_id": principal_id, "project": "shop"}
        world.as_owner("POST", f"{world.ws}/members/revoke", json=body)
    else:
        world.as_owner("POST", f"{world.ws}/tokens/{label}/revoke")
    before = world.rows()
    response = world.send(world.foreign, Attempt("POST", f"{world.ws}/tokens/{label}/revoke"))
    assert response.status_code in {403, 404}, response.text
    assert world.rows() == before


# --- Invites and tokens ---------------------------------------------------------------------


def test_a_pending_invite_creates_no_account_and_no_role(world: World) -> None:
    members = world.as_owner("GET", f"{world.ws}/members")
    assert world.pending_email not in {m["principal"]["name"] for m in members}
    login = world.client.post(
        "/v1/auth/login", json={"email": world.pending_email, "auth_key": b64(AUTH_KEY)}
    )
    assert login.status_code == 401
    with world.engine.connect() as connection:
        accounts_for_it = connection.execute(
            text("SELECT count(*) FROM principals WHERE name = :email"),
            {"email": world.pending_email},
        ).scalar()
    assert accounts_for_it == 0


def test_an_invite_code_works_once(world: World) -> None:
    body = {"email": "once@example.com", "role": "read", "project": "shop"}
    code = world.as_owner("POST", f"{world.ws}/invites", json=body)["code"]
    first = world.client.post("/v1/invites/accept", json=joining(code, "once@example.com"))
    assert first.status_code == 201
    again = world.client.post("/v1/invites/accept", json=joining(code, "once@example.com"))
    other = world.client.post("/v1/invites/accept", json=joining(code, "twice@example.com"))
    assert (again.status_code, other.status_code) == (401, 401)
    members = world.as_owner("GET", f"{world.ws}/members")
    assert [m["role"] for m in members if m["principal"]["name"] == "once@example.com"] == ["read"]
    assert "twice@example.com" not in {m["principal"]["name"] for m in members}


def test_a_service_token_knows_its_workspace_and_stops_when_revoked(world: World) -> None:
    label, principal_id, token = world.new_token(Role.READ, "environment")
    me = world.send(world.owner, Attempt("GET", "/v1/token/self", token=token))
    assert (me.json()["principal_id"], me.json()["workspace_id"]) == (principal_id, world.workspace)
    world.as_owner("POST", f"{world.ws}/tokens/{label}/revoke")
    after = world.send(world.owner, Attempt("GET", f"{world.env(BOUND)}/snapshot", token=token))
    assert after.status_code == 401


def test_sessions_are_listed_and_ended_by_their_owner_only(world: World) -> None:
    token = world.login(str(world.owner.email))
    mine = world.send(world.owner, Attempt("GET", "/v1/sessions", token=token)).json()
    session_id = next(s["id"] for s in mine if s["current"])
    eve = world.foreign
    assert session_id not in {
        s["id"] for s in world.send(eve, Attempt("GET", "/v1/sessions")).json()
    }
    ended = world.send(eve, Attempt("DELETE", f"/v1/sessions/{session_id}"))
    assert ended.status_code == 404
    still = world.send(world.owner, Attempt("GET", "/v1/whoami", token=token))
    assert still.status_code == 200


def test_no_admin_grants_to_or_reads_the_account_of_another_tenant(world: World) -> None:
    eve, owner = world.foreign, world.owner
    body: dict[str, Any] = {"principal_id": eve.principal_id, "role": "read", "shares": []}
    before = world.rows()

    granted = world.send(owner, Attempt("POST", f"{world.ws}/members/grant", json=body))
    eve_by_id = world.send(owner, Attempt("GET", f"/v1/principals/{eve.principal_id}"))
    owner_by_id = world.send(eve, Attempt("GET", f"/v1/principals/{owner.principal_id}"))
    eve_by_name = world.send(
        owner, Attempt("GET", f"{world.ws}/principals/by-name", params={"name": str(eve.email)})
    )
    colleague = world.caller("read@environment")
    owner_to_colleague = world.send(
        colleague, Attempt("GET", f"/v1/principals/{owner.principal_id}")
    )

    assert [granted.status_code, eve_by_id.status_code, owner_by_id.status_code] == [404] * 3
    assert eve_by_name.status_code == 404
    assert str(eve.email) not in granted.text + eve_by_id.text  # by name echoes only the ask
    assert world.rows() == before
    assert owner_to_colleague.status_code == 200  # the same workspace: its keys, to verify
