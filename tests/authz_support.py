"""Shared by the authorisation tests: a migrated database that lives for a whole module, and a
server with a workspace and one caller for each role at each scope, plus callers that must get
nothing (a former member, another workspace's admin, a pending invite, no or a forged token).

The server never opens a key or a share, so any bytes of the right length stand in for them.
"""

from __future__ import annotations

import base64
import os
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from envkeep.app import accounts, credentials, invite_codes
from envkeep.app.context import new_uuid, utc_now
from envkeep.app.policy import Role
from envkeep.store.engine import open_engine, sqlite_url
from envkeep.store.migrate import upgrade
from envkeep.store.models import Invite

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    import httpx
    import pytest
    from fastapi.testclient import TestClient
    from sqlalchemy import Engine

    from tests.pg import PostgresServer

DATABASES = ["sqlite", "postgresql"]
SCOPES = ("workspace", "project", "environment")
BOUND = "dev"  # environment-scoped callers hold their role on dev, and on nothing else
AUTH_KEY = os.urandom(32)  # every test account logs in with it; only its hash is stored


def b64(data: bytes) -> str:
    """Bytes as the API carries them (base64url, unpadded)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


KEY = b64(os.urandom(32))  # a public key or a sealed data key, as far as the server can tell


@contextmanager
def migrated_database(kind: str, request: pytest.FixtureRequest, where: Path) -> Iterator[str]:
    """The URL of a fresh, migrated database: an SQLite file in ``where``, or a database on the
    session's PostgreSQL server (the same two the ``database`` fixture gives each test)."""
    server: PostgresServer | None = None
    if kind == "sqlite":
        url = sqlite_url(where / "envkeep.db")
    else:
        server = request.getfixturevalue("postgres")
        url = server.create_database()
    engine = open_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        if server is not None:
            server.drop_database(url)


def founding_invite(engine: Engine, email: str) -> str:
    """A one-time code whose acceptance founds a new workspace with ``email`` as its admin
    (what the bootstrap invite does, for a server that has accounts already)."""
    secret = credentials.new_secret()
    invite_id = str(uuid.uuid4())
    with Session(engine) as session, session.begin():
        session.add(
            Invite(
                id=invite_id,
                workspace_id=None,
                email=email,
                role="admin",
                secret_hash=credentials.token_hash(secret),
                created_at=utc_now(),
                expires_at=utc_now() + timedelta(hours=1),
            )
        )
    return f"{invite_codes.INVITE_PREFIX}{invite_id}_{secret}"


def joining(code: str, email: str) -> dict[str, Any]:
    """The body of ``POST /v1/invites/accept`` for a new account."""
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


def fresh(prefix: str) -> str:
    """A name no test used before."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def scope_fields(scope: str, target: str) -> dict[str, str]:
    """How a request names a scope (query parameters or body fields)."""
    return {
        "workspace": {},
        "project": {"project": "shop"},
        "environment": {"project": "shop", "environment": target},
    }[scope]


def secret_write(secret_id: str, key_version: int) -> dict[str, Any]:
    """One new variable in the shared scope, as a client uploads it."""
    return {
        "secret_id": secret_id,
        "scope": "shared",
        "name_index": b64(secret_id.encode()[:32]),
        "expected_version": 0,
        "key_version": key_version,
        "name_ct": KEY,
        "value_ct": KEY,
        "signature": b64(b"x" * 64),
    }


@dataclass(frozen=True)
class Caller:
    """Who sends a request: its one binding in the workspace under test, and its session."""

    label: str
    role: Role | None = None  # None: no role in the workspace under test
    scope: str | None = None  # workspace, project (shop) or environment (dev)
    token: str | None = None  # None: no Authorization header at all
    principal_id: str | None = None
    email: str | None = None  # None: no account to log in with
    authenticated: bool = True  # False: every route must answer 401
    service: bool = False  # a service account's token, not a user's session
    roleless: bool = False  # holds no role in any workspace (removed from every one)


@dataclass(frozen=True)
class Attempt:
    """One well-formed request; ``token`` overrides the caller's session."""

    method: str
    url: str
    json: dict[str, Any] | list[Any] | None = None
    params: dict[str, str] | None = None
    token: str | None = None


DENIALS = "denials"

# What a workspace holds, table by table (columns, rows): a denied request changes none of it,
# apart from the event a member's refusal appends (`DENIALS`).
_IN = "JOIN projects p ON p.id = e.project_id WHERE p.workspace_id = :ws"
WORKSPACE_ROWS = {
    "role_bindings": (
        "principal_id, project_id, environment_id, role",
        "role_bindings WHERE workspace_id = :ws",
    ),
    "invites": (
        "id, email, role, project_id, environment_id, accepted_at",
        "invites WHERE workspace_id = :ws",
    ),
    "projects": ("id, name", "projects WHERE workspace_id = :ws"),
    "services": (
        "s.id, s.name",
        "services s JOIN projects p ON p.id = s.project_id WHERE p.workspace_id = :ws",
    ),
    "environments": (
        "e.id, e.name, e.description, e.protected, e.key_version, e.revision",
        f"environments e {_IN}",
    ),
    "secrets": (
        "s.id, s.current_version, s.deleted",
        f"secrets s JOIN environments e ON e.id = s.environment_id {_IN}",
    ),
    "secret_versions": (
        "v.secret_id, v.version",
        (
            "secret_versions v JOIN secrets s ON s.id = v.secret_id"
            f" JOIN environments e ON e.id = s.environment_id {_IN}"
        ),
    ),
    "data_key_shares": (
        "d.environment_id, d.key_version, d.recipient_id",
        f"data_key_shares d JOIN environments e ON e.id = d.environment_id {_IN}",
    ),
    "service_accounts": (
        "p.id, p.disabled_at, t.revoked_at",
        "principals p JOIN sessions t ON t.principal_id = p.id WHERE p.name LIKE :accounts",
    ),
    "audit_events": (
        "count(*), max(seq)",
        "audit_events WHERE workspace_id = :ws AND outcome <> 'denied'",
    ),
    # A refused request by a member appends its own event (`api/denials.py`): listed apart.
    DENIALS: (
        "principal_id, target, outcome",
        "audit_events WHERE workspace_id = :ws AND outcome = 'denied'",
    ),
}
# …and outside any workspace: the workspaces, the accounts (bytes by length), their sessions.
# (Audit events and sessions only grow, or get revoked: counted, not listed, to stay fast.)
SERVER_ROWS = {
    "workspaces": ("id, name", "workspaces"),
    "principals": (
        "id, disabled_at, auth_hash, length(kdf_salt), length(wrapped_private_keys)",
        "principals",
    ),
    "sessions": ("count(*), count(revoked_at), max(created_at)", "sessions"),
}
_WIDTH = 6


def _rows_sql(workspaces: int) -> str:
    """One statement for every table (a round trip per table made the matrix slow)."""
    parts = []
    tables = [("", SERVER_ROWS)] + [(str(i), WORKSPACE_ROWS) for i in range(workspaces)]
    for where, named in tables:
        for name, (columns, table) in named.items():
            cells = [f"CAST({c.strip()} AS TEXT)" for c in columns.split(",")]
            cells += ["CAST(NULL AS TEXT)"] * (_WIDTH - len(cells))
            source = table.replace(":ws", f":ws{where}").replace(":accounts", f":sa{where}")
            # Built from this module's constants only; the values are bound parameters.
            parts.append(f"SELECT '{where}|{name}', {', '.join(cells)} FROM {source}")  # noqa: S608
    return " UNION ALL ".join(parts)


def stored_rows(engine: Engine, *workspaces: str) -> list[dict[str, list[tuple[str, ...]]]]:
    """Everything the server stores, then everything stored for each workspace, comparably."""
    params = {f"ws{i}": ws for i, ws in enumerate(workspaces)}
    params |= {f"sa{i}": f"sa:{ws}:%" for i, ws in enumerate(workspaces)}
    found: list[dict[str, list[tuple[str, ...]]]] = [{} for _ in range(len(workspaces) + 1)]
    with engine.connect() as connection:
        for table, *cells in connection.execute(text(_rows_sql(len(workspaces))), params):
            where, name = str(table).split("|")
            found[int(where or -1) + 1].setdefault(name, []).append(tuple(map(str, cells)))
    return [{name: sorted(rows) for name, rows in scope.items()} for scope in found]


_IN_WORKSPACE = (
    "SELECT e.id, e.key_version FROM environments e JOIN projects p ON p.id = e.project_id"
    " WHERE p.workspace_id = :ws"
)
ENVIRONMENTS_IN_SCOPE = {
    "workspace": _IN_WORKSPACE,
    "project": f"{_IN_WORKSPACE} AND p.name = 'shop'",
    "environment": f"{_IN_WORKSPACE} AND p.name = 'shop' AND e.name = :env",
}


BYSTANDER_EMAIL = "bob@example.net"


@dataclass
class World:
    """One server with a workspace (project shop: dev, prod, service billing) and a caller
    holding each role at each scope; another workspace with its own admin; a pending invite."""

    client: TestClient
    engine: Engine
    workspace: str
    owner: Caller
    foreign: Caller
    foreign_workspace: str
    bystander: str  # the principal grants and revokes are about; never a caller
    bystander_token: str  # its session, to accept invites back into the workspace
    pending_email: str = "pending@example.com"
    callers: list[Caller] = field(default_factory=list)

    @property
    def ws(self) -> str:
        return f"/v1/workspaces/{self.workspace}"

    @property
    def shop(self) -> str:
        return f"{self.ws}/projects/shop"

    def env(self, name: str) -> str:
        return f"{self.shop}/environments/{name}"

    def caller(self, label: str) -> Caller:
        return next(c for c in self.callers if c.label == label)

    def send(self, caller: Caller, attempt: Attempt) -> httpx.Response:
        token = attempt.token or caller.token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response: httpx.Response = self.client.request(
            attempt.method, attempt.url, json=attempt.json, params=attempt.params, headers=headers
        )
        return response

    def as_owner(self, method: str, url: str, **body: Any) -> Any:
        """A request the owner must be allowed (test set-up); its JSON answer."""
        response = self.send(self.owner, Attempt(method, url, **body))
        assert response.is_success, f"{method} {url}: {response.text}"
        return response.json() if response.content else None

    def enlist_bystander(self) -> None:
        """Make the bystander a member of the workspace (a role is granted only to one), unless
        it is: an invite of the owner's, accepted with the bystander's own account."""
        with self.engine.connect() as connection:
            member = connection.execute(
                text("SELECT 1 FROM role_bindings WHERE principal_id = :p AND workspace_id = :w"),
                {"p": self.bystander, "w": self.workspace},
            ).first()
        if member is not None:
            return
        invite = {"email": BYSTANDER_EMAIL, "role": "read", "project": "shop", "environment": "dev"}
        code = self.as_owner("POST", f"{self.ws}/invites", json=invite)["code"]
        joined = self.send(
            Caller("bystander", token=self.bystander_token),
            Attempt("POST", "/v1/invites/join", json={"code": code}),
        )
        assert joined.status_code == 201, joined.text

    def login(self, email: str) -> str:
        """A new session for an account (the login use case itself: the API throttles logins
        per account and per address, and this module logs in more often than any person)."""
        with Session(self.engine) as session, session.begin():
            done = accounts.login(
                session, email=email, auth_key=AUTH_KEY, clock=utc_now, new_id=new_uuid
            )
        return done.token

    def rows(self) -> list[dict[str, list[tuple[str, ...]]]]:
        """What the server, the workspace and the foreign workspace hold now."""
        return stored_rows(self.engine, self.workspace, self.foreign_workspace)

    def environment(self, name: str, workspace: str | None = None) -> tuple[str, int]:
        """(id, key version) of an environment of project shop."""
        with self.engine.connect() as connection:
            row = connection.execute(
                text(ENVIRONMENTS_IN_SCOPE["environment"]),
                {"ws": workspace or self.workspace, "env": name},
            ).one()
        return str(row[0]), int(row[1])

    def shares(self, recipient: str, scope: str, target: str) -> list[dict[str, Any]]:
        """A stand-in sealed share for ``recipient`` of every environment a scope covers."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                text(ENVIRONMENTS_IN_SCOPE[scope]), {"ws": self.workspace, "env": target}
            ).all()
        return [
            {"environment_id": r[0], "key_version": r[1], "recipient_id": recipient, "sealed": KEY}
            for r in rows
        ]

    def secret_in(self, name: str) -> str:
        """The id of the first variable of environment ``name`` of shop."""
        env_id, _ = self.environment(name)
        with self.engine.connect() as connection:
            found = connection.execute(
                text("SELECT id FROM secrets WHERE environment_id = :env ORDER BY created_at"),
                {"env": env_id},
            ).first()
        assert found is not None
        return str(found[0])

    def new_invite(self, scope: str, target: str = BOUND) -> str:
        """The id of a new invite of the owner's (read, at ``scope``), nobody accepted yet."""
        body = {"email": f"{fresh('invitee')}@example.com", "role": "read"}
        made = self.as_owner(
            "POST", f"{self.ws}/invites", json={**body, **scope_fields(scope, target)}
        )
        return str(made["code"]).removeprefix(invite_codes.INVITE_PREFIX)[:36]

    def new_token(
        self, role: Role, scope: str, target: str = BOUND, *, by: Caller | None = None
    ) -> tuple[str, str, str]:
        """A service account made by the owner (or ``by``, who must be allowed to):
        (label, principal id, bearer token)."""
        label, principal_id = fresh("ci"), str(uuid.uuid4())
        token = f"ek_sa_{principal_id}_{credentials.new_secret()}"
        body = {
            "principal_id": principal_id,
            "name": label,
            "role": str(role),
            **scope_fields(scope, target),
            "encryption_public": KEY,
            "signing_public": KEY,
            "wrapped_private_keys": KEY,
            "token_hash": credentials.token_hash(token),
            "shares": self.shares(principal_id, scope, target),
        }
        made = self.send(by or self.owner, Attempt("POST", f"{self.ws}/tokens", json=body))
        assert made.status_code == 201, made.text
        return label, principal_id, token


def _join(client: TestClient, code: str, email: str) -> dict[str, Any]:
    response = client.post("/v1/invites/accept", json=joining(code, email))
    assert response.status_code == 201, response.text
    joined: dict[str, Any] = response.json()
    return joined


def _invited(world: World, role: Role, scope: str, email: str) -> Caller:
    body = {"email": email, "role": str(role), **scope_fields(scope, BOUND)}
    code = world.as_owner("POST", f"{world.ws}/invites", json=body)["code"]
    joined = _join(world.client, code, email)
    return Caller(f"{role}@{scope}", role, scope, joined["token"], joined["principal_id"], email)


def _project_with_secrets(world: World, caller: Caller, workspace: str, envs: list[str]) -> None:
    body = {
        "name": "shop",
        "environments": [{"id": str(uuid.uuid4()), "name": e, "sealed_share": KEY} for e in envs],
    }
    base = f"/v1/workspaces/{workspace}/projects"
    created = world.send(caller, Attempt("POST", base, json=body))
    assert created.status_code == 201, created.text
    for env in envs:
        url = f"{base}/shop/environments/{env}/secrets"
        write = {"writes": [secret_write(str(uuid.uuid4()), 1)]}
        assert world.send(caller, Attempt("POST", url, json=write)).status_code == 200


def _account(client: TestClient, engine: Engine, label: str, email: str) -> tuple[Caller, str]:
    """An account that founds a workspace of its own; the workspace's id."""
    joined = _join(client, founding_invite(engine, email), email)
    caller = Caller(label, token=joined["token"], principal_id=joined["principal_id"], email=email)
    return caller, str(joined["workspace_id"])


def build_world(client: TestClient, engine: Engine) -> World:
    """Set the server up as the module docstring says, through the API as its owner."""
    with Session(engine) as session, session.begin():
        code = accounts.create_bootstrap_invite(
            session, email="owner@example.com", clock=utc_now, new_id=new_uuid
        )
    joined = _join(client, code, "owner@example.com")
    owner = Caller(
        "owner", Role.ADMIN, "workspace", joined["token"], joined["principal_id"], joined["email"]
    )
    foreign, foreign_workspace = _account(client, engine, "foreign admin", "eve@example.org")
    bystander, _ = _account(client, engine, "bystander", BYSTANDER_EMAIL)
    world = World(
        client,
        engine,
        joined["workspace_id"],
        owner,
        foreign,
        foreign_workspace,
        str(bystander.principal_id),
        str(bystander.token),
    )
    _project_with_secrets(world, owner, world.workspace, ["dev", "prod"])
    world.enlist_bystander()
    world.as_owner("POST", f"{world.shop}/services", json={"name": "billing"})
    _project_with_secrets(world, foreign, world.foreign_workspace, ["dev"])
    invited = [
        _invited(world, role, scope, f"{role}.{scope}@example.com")
        for scope in SCOPES
        for role in Role
    ]
    former = _invited(world, Role.READ, "workspace", "former@example.com")
    world.as_owner("POST", f"{world.ws}/members/revoke", json={"principal_id": former.principal_id})
    _, service_id, service_token = world.new_token(Role.WRITE, "environment")
    pending = world.as_owner(
        "POST", f"{world.ws}/invites", json={"email": world.pending_email, "role": "admin"}
    )["code"]
    world.callers = [
        owner,
        *invited,
        Caller(
            "service write@environment",
            Role.WRITE,
            "environment",
            service_token,
            service_id,
            service=True,
        ),
        Caller(
            "former member",
            None,
            None,
            former.token,
            former.principal_id,
            former.email,
            roleless=True,
        ),
        foreign,
        Caller("pending invite", token=pending, authenticated=False),
        Caller("no token", authenticated=False),
        Caller("forged token", token=b64(b"f" * 32), authenticated=False),
    ]
    return world
