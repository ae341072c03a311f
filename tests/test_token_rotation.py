"""Rotating a service-account token through the API, on SQLite and on PostgreSQL: one request
replaces the account (same name, role, scope and lifetime, new keys), the old token ends at
once, exactly one audit event is written, and a refused rotation changes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from envkeep.api.app import create_app
from envkeep.app import credentials
from envkeep.app.principal_labels import principal_name
from envkeep.store.models import AuditEvent, RoleBinding
from tests.authz_support import KEY, founding_invite, joining, stored_rows

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy import Engine


class Api:
    """An admin's session on a workspace with project shop (dev, prod)."""

    def __init__(self, client: TestClient, engine: Engine) -> None:
        self.client, self.engine = client, engine
        joined = client.post(
            "/v1/invites/accept", json=joining(founding_invite(engine, "ops@x.io"), "ops@x.io")
        ).json()
        client.headers["Authorization"] = f"Bearer {joined['token']}"
        self.ws = f"/v1/workspaces/{joined['workspace_id']}"
        self.workspace_id = joined["workspace_id"]
        self.envs = {"dev": str(uuid.uuid4()), "prod": str(uuid.uuid4())}
        body = {
            "name": "shop",
            "environments": [
                {"id": i, "name": n, "sealed_share": KEY} for n, i in self.envs.items()
            ],
        }
        assert client.post(f"{self.ws}/projects", json=body).status_code == 201

    def keys(self, env: str | None, expires_in: timedelta | None = None) -> dict[str, Any]:
        """New stand-in keys, a token and shares of ``env`` (None: every environment)."""
        principal_id = str(uuid.uuid4())
        token = f"ek_sa_{principal_id}_{credentials.new_secret()}"
        expires = None if expires_in is None else (datetime.now(UTC) + expires_in).isoformat()
        return {
            "principal_id": principal_id,
            "encryption_public": KEY,
            "signing_public": KEY,
            "wrapped_private_keys": KEY,
            "token_hash": credentials.token_hash(token),
            "expires_at": expires,
            "shares": [
                {"environment_id": i, "key_version": 1, "recipient_id": principal_id, "sealed": KEY}
                for n, i in self.envs.items()
                if env in {None, n}
            ],
            "token": token,
        }

    def create(self, label: str, env: str, expires_in: timedelta | None) -> dict[str, Any]:
        keys = self.keys(env, expires_in)
        body = {k: v for k, v in keys.items() if k != "token"}
        body |= {"name": label, "role": "read", "project": "shop", "environment": env}
        answer = self.client.post(f"{self.ws}/tokens", json=body)
        assert answer.status_code == 201, answer.text
        return keys

    def rotate(self, label: str, keys: dict[str, Any]) -> Any:
        body = {k: v for k, v in keys.items() if k != "token"}
        return self.client.post(f"{self.ws}/tokens/{label}/rotate", json=body)

    def as_token(self, token: str, path: str) -> int:
        answer = self.client.get(path, headers={"Authorization": f"Bearer {token}"})
        return int(answer.status_code)

    def listed(self, *, ended: bool = False) -> list[dict[str, Any]]:
        """The token list's live rows (``ended``: every row, ended tokens' too)."""
        found: list[dict[str, Any]] = self.client.get(f"{self.ws}/tokens").json()
        return [t for t in found if ended or not t["revoked"]]

    def events(self) -> list[str]:
        with Session(self.engine) as session:
            return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


@pytest.fixture
def api(engine: Engine, database: str) -> Iterator[Api]:
    with TestClient(create_app(database, rate=0)) as client:
        yield Api(client, engine)


def _expires(item: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(item["expires_at"]).replace(tzinfo=UTC)


def test_a_rotated_token_keeps_its_name_role_scope_and_lifetime_and_the_old_one_ends_at_once(
    api: Api,
) -> None:
    old = api.create("ci", "dev", timedelta(days=30))
    before = api.events()
    new = api.keys("dev")
    answer = api.rotate("ci", new)
    assert answer.status_code == 200, answer.text
    assert answer.json()["principal_id"] == new["principal_id"]
    assert answer.json()["environment_ids"] == [api.envs["dev"]]
    assert answer.json()["environments"] == [  # named: the client rotates without a listing
        {"project": "shop", "environment": "dev", "environment_id": api.envs["dev"]}
    ]
    assert api.events() == [*before, "token.rotate"]  # one request, one event

    snapshot = f"{api.ws}/projects/shop/environments/dev/snapshot"
    assert api.as_token(old["token"], snapshot) == 401
    assert api.as_token(new["token"], snapshot) == 200
    assert api.as_token(new["token"], f"{api.ws}/projects/shop/environments/prod/snapshot") == 403
    me = api.client.get("/v1/token/self", headers={"Authorization": f"Bearer {new['token']}"})
    assert me.json()["principal_id"] == new["principal_id"]

    replaced, listed = api.listed(ended=True)  # the replaced account first, rotated out
    assert (replaced["principal"]["id"], replaced["label"]) == (old["principal_id"], "ci")
    assert (replaced["revoked"], replaced["ended"], replaced["role"]) == (
        True,
        "rotated out",
        "read",
    )
    assert replaced["ended_at"] is not None
    assert answer.json()["expires_at"] == listed["expires_at"]
    assert (listed["label"], listed["role"]) == ("ci", "read")
    assert (listed["project"], listed["environment"]) == ("shop", "dev")  # names, not ids
    assert listed["principal"]["id"] == new["principal_id"]
    assert (listed["revoked"], listed["ended"], listed["ended_at"]) == (False, None, None)
    lifetime = _expires(listed) - datetime.now(UTC)
    assert timedelta(days=29, hours=23) < lifetime <= timedelta(days=30)


def test_an_expiry_given_at_rotation_replaces_the_old_lifetime(api: Api) -> None:
    api.create("ci", "dev", None)
    assert api.rotate("ci", api.keys("dev", timedelta(hours=12))).status_code == 200
    [listed] = api.listed()
    assert timedelta(hours=11) < _expires(listed) - datetime.now(UTC) <= timedelta(hours=12)
    assert api.rotate("ci", api.keys("dev")).status_code == 200  # keeps those 12 hours
    [again] = api.listed()
    assert timedelta(hours=11) < _expires(again) - datetime.now(UTC) <= timedelta(hours=12)


def test_never_expires_at_rotation_drops_the_old_lifetime(api: Api) -> None:
    api.create("ci", "dev", timedelta(days=30))
    assert api.rotate("ci", {**api.keys("dev"), "never_expires": True}).status_code == 200
    assert [t["expires_at"] for t in api.listed()] == [None]
    assert api.rotate("ci", api.keys("dev")).status_code == 200  # and keeps none
    assert [t["expires_at"] for t in api.listed()] == [None]


def test_an_expiry_and_never_expires_together_are_refused(api: Api) -> None:
    old = api.create("ci", "dev", timedelta(days=30))
    before = api.events()
    keys = {**api.keys("dev", timedelta(hours=1)), "never_expires": True}
    answer = api.rotate("ci", keys)
    assert answer.status_code == 400, answer.text
    assert "--expires never" in answer.json()["hint"]
    assert api.events() == before
    snapshot = f"{api.ws}/projects/shop/environments/dev/snapshot"
    assert api.as_token(old["token"], snapshot) == 200


def test_a_token_without_expiry_stays_without_one(api: Api) -> None:
    api.create("ci", "dev", None)
    assert api.rotate("ci", api.keys("dev")).status_code == 200
    assert [t["expires_at"] for t in api.listed()] == [None]


@pytest.mark.parametrize(
    "why", ["no share of its scope", "a revoked token", "an unknown token", "a taken id"]
)
def test_a_refused_rotation_changes_nothing_and_the_old_token_keeps_working(
    api: Api, why: str
) -> None:
    old = api.create("ci", "dev", None)
    label, new = "ci", api.keys("dev")
    if why == "no share of its scope":
        new["shares"] = []
    elif why == "a revoked token":
        assert api.client.post(f"{api.ws}/tokens/ci/revoke").status_code == 200
    elif why == "an unknown token":
        label = "nope"
    else:
        new["principal_id"] = old["principal_id"]
    before = stored_rows(api.engine, api.workspace_id), api.events()
    answer = api.rotate(label, new)
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert (stored_rows(api.engine, api.workspace_id), api.events()) == before
    snapshot = f"{api.ws}/projects/shop/environments/dev/snapshot"
    assert api.as_token(old["token"], snapshot) == (401 if why == "a revoked token" else 200)


def test_a_revocation_names_the_environments_whose_keys_to_rotate(api: Api) -> None:
    api.create("ci", "dev", None)
    answer = api.client.post(f"{api.ws}/tokens/ci/revoke")
    assert answer.status_code == 200, answer.text
    assert answer.json()["environments"] == [
        {"project": "shop", "environment": "dev", "environment_id": api.envs["dev"]}
    ]
    assert answer.json()["environment_ids"] == [api.envs["dev"]]


def test_a_token_cannot_take_a_name_that_reads_as_an_email(api: Api) -> None:
    keys = api.keys("dev")
    body = {k: v for k, v in keys.items() if k != "token"}
    body |= {"name": "newhire@corp.com", "role": "read", "project": "shop", "environment": "dev"}
    before = stored_rows(api.engine, api.workspace_id), api.events()

    answer = api.client.post(f"{api.ws}/tokens", json=body)

    assert answer.status_code == 400, answer.text
    assert "'@'" in answer.json()["title"]
    assert (stored_rows(api.engine, api.workspace_id), api.events()) == before


def test_a_name_is_an_email_or_this_workspaces_token_never_another_workspaces() -> None:
    assert principal_name("ws-1", "Bob@Example.com") == "bob@example.com"
    assert principal_name("ws-1", "ci") == "sa:ws-1:ci"
    assert principal_name("ws-1", "sa:ws-1:ci") == "sa:ws-1:ci"  # as member list shows it
    assert principal_name("ws-1", "sa:ws-2:ci") == "sa:ws-1:sa:ws-2:ci"  # found nowhere


def test_a_rotation_keeps_who_granted_each_role(api: Api) -> None:
    old = api.create("ci", "dev", None)
    granter = str(uuid.uuid4())  # as if another admin had granted the role
    with Session(api.engine) as session, session.begin():
        binding = session.scalars(
            select(RoleBinding).where(RoleBinding.principal_id == old["principal_id"])
        ).one()
        binding.created_by = granter
    new = api.keys("dev")

    assert api.rotate("ci", new).status_code == 200

    with Session(api.engine) as session:
        kept = session.scalars(
            select(RoleBinding.created_by).where(RoleBinding.principal_id == new["principal_id"])
        ).all()
    assert kept == [granter]
