"""A server-wide maximum lifetime for service-account tokens (`token_max_lifetime`), on SQLite
and on PostgreSQL: a token made without an expiry gets the maximum, one asked to live longer
or for ever is refused naming the maximum and changes nothing, a rotation keeps the old
lifetime only within the maximum from now (a token from before the policy that never expired
comes back with the maximum), and `token list` flags live tokens made to outlive it; through
the API and through the CLI of a real server."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from envkeep.api.app import create_app
from envkeep.app.token_lifetime import (
    SKEW,
    Lifetime,
    LifetimePolicy,
    new_lifetime,
    rotated_lifetime,
)
from envkeep.cli import output
from envkeep.client.token_create import _post_token
from envkeep.client.token_keys import parse_token
from envkeep.core.errors import EnvkeepError, LifetimeOverMaximum
from envkeep.store.engine import open_engine
from envkeep.store.models import AuditEvent, SessionToken
from tests.server import TeamServer, server_per_database
from tests.server import cli as _cli
from tests.test_token_lifecycle import Team
from tests.test_token_rotation import Api

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from sqlalchemy import Engine

MAXIMUM = timedelta(days=90)
NOW = datetime(2030, 1, 1, tzinfo=UTC)
POLICY = LifetimePolicy(MAXIMUM)


def test_without_a_maximum_a_token_lives_as_asked_or_for_ever() -> None:
    free = LifetimePolicy()
    assert new_lifetime(free, NOW, None, never=False).expires_at is None
    assert new_lifetime(free, NOW, NOW + timedelta(days=999), never=False).expires_at == NOW + (
        timedelta(days=999)
    )
    assert rotated_lifetime(free, NOW, None, never=False, kept=None).expires_at is None
    assert not free.exceeds(NOW, None, NOW)


def test_with_a_maximum_no_expiry_means_the_maximum_and_never_is_refused() -> None:
    made = new_lifetime(POLICY, NOW, None, never=False)
    assert (made.expires_at, made.at_maximum) == (NOW + MAXIMUM, True)
    with pytest.raises(LifetimeOverMaximum) as refused:
        new_lifetime(POLICY, NOW, None, never=True)
    assert refused.value.code == "token_lifetime_over_maximum"
    assert "never expires" in refused.value.message
    assert "90d" in refused.value.message
    assert refused.value.hint is not None
    assert "--expires 90d or less" in refused.value.hint


def test_an_expiry_a_clocks_skew_past_the_maximum_is_taken_as_the_maximum() -> None:
    skewed = new_lifetime(POLICY, NOW, NOW + MAXIMUM + SKEW, never=False)
    assert (skewed.expires_at, skewed.at_maximum) == (NOW + MAXIMUM, False)
    with pytest.raises(LifetimeOverMaximum):
        new_lifetime(POLICY, NOW, NOW + MAXIMUM + SKEW + timedelta(seconds=1), never=False)


@given(
    asked=st.none() | st.timedeltas(timedelta(minutes=1), timedelta(days=3650)),
    kept=st.none() | st.timedeltas(timedelta(minutes=1), timedelta(days=3650)),
    never=st.booleans(),
)
def test_no_token_made_or_rotated_under_a_maximum_outlives_it(
    asked: timedelta | None, kept: timedelta | None, never: bool
) -> None:
    """Whatever is asked and whatever the old token's lifetime: refused, or within it."""
    when = None if asked is None or never else NOW + asked
    old = None if kept is None else NOW + kept
    made: list[Callable[[], Lifetime]] = [
        partial(new_lifetime, POLICY, NOW, when, never=never),
        partial(rotated_lifetime, POLICY, NOW, when, never=never, kept=old),
    ]
    for make in made:
        try:
            granted = make()
        except LifetimeOverMaximum:
            assert never or (asked is not None and asked > MAXIMUM)
            continue
        assert granted.expires_at is not None
        assert NOW < granted.expires_at <= NOW + MAXIMUM
        assert not POLICY.exceeds(NOW, granted.expires_at, NOW)


def test_a_rotation_keeps_a_shorter_lifetime_and_caps_a_longer_one_or_none() -> None:
    shorter = rotated_lifetime(POLICY, NOW, None, never=False, kept=NOW + timedelta(days=30))
    assert (shorter.expires_at, shorter.at_maximum) == (NOW + timedelta(days=30), False)
    for kept in (None, NOW + timedelta(days=365)):
        capped = rotated_lifetime(POLICY, NOW, None, never=False, kept=kept)
        assert (capped.expires_at, capped.at_maximum) == (NOW + MAXIMUM, True)


def test_a_live_token_made_to_outlive_the_maximum_exceeds_it_an_expired_one_does_not() -> None:
    then = NOW - timedelta(days=10)
    assert POLICY.exceeds(then, None, NOW)
    assert POLICY.exceeds(then, then + timedelta(days=365), NOW)
    assert not POLICY.exceeds(then, then + MAXIMUM, NOW)
    assert not POLICY.exceeds(then - timedelta(days=400), NOW - timedelta(days=1), NOW)


# Through the API, on both databases.


@pytest.fixture
def capped(engine: Engine, database: str) -> Iterator[Api]:
    """An admin's session on a server whose tokens live at most 90 days."""
    with TestClient(create_app(database, rate=0, token_max_lifetime=MAXIMUM)) as client:
        yield Api(client, engine)


def _expires(item: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(item["expires_at"]).replace(tzinfo=UTC)


def _body(label: str, keys: dict[str, Any], **extra: object) -> dict[str, Any]:
    body = {k: v for k, v in keys.items() if k != "token"}
    return body | {"name": label, "role": "read", "project": "shop", "environment": "dev", **extra}


def test_a_token_made_without_an_expiry_gets_the_maximum_and_says_so(capped: Api) -> None:
    answer = capped.client.post(f"{capped.ws}/tokens", json=_body("ci", capped.keys("dev")))
    assert answer.status_code == 201, answer.text
    assert answer.json()["at_maximum"] is True
    [listed] = capped.listed()
    assert answer.json()["expires_at"] == listed["expires_at"]
    assert MAXIMUM - timedelta(minutes=1) < _expires(listed) - datetime.now(UTC) <= MAXIMUM
    assert listed["over_maximum"] is False


def _audited(engine: Engine, action: str) -> dict[str, Any]:
    """The details of the last ``action`` event the server appended."""
    with Session(engine) as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc())
        ).first()
    assert event is not None, action
    details: dict[str, Any] = json.loads(event.details)
    return details


def test_the_audit_says_when_a_token_expires_and_whether_the_maximum_chose_it(
    capped: Api, engine: Engine
) -> None:
    made = capped.client.post(f"{capped.ws}/tokens", json=_body("ci", capped.keys("dev")))
    assert made.status_code == 201, made.text
    created = _audited(engine, "token.create")
    assert (created["expires_at"], created["at_maximum"]) == (made.json()["expires_at"], True)

    rotated = capped.rotate("ci", capped.keys("dev", timedelta(days=30)))
    assert rotated.status_code == 200, rotated.text
    said = _audited(engine, "token.rotate")
    assert said["expires_at"] == rotated.json()["expires_at"]
    assert "at_maximum" not in said  # asked for, within the maximum


@pytest.mark.parametrize("asked", ["never", "365d"])
def test_a_token_asked_to_outlive_the_maximum_is_refused_and_nothing_is_made(
    capped: Api, asked: str
) -> None:
    before = capped.events()
    if asked == "never":
        body = _body("ci", capped.keys("dev"), never_expires=True)
    else:
        body = _body("ci", capped.keys("dev", timedelta(days=365)))
    answer = capped.client.post(f"{capped.ws}/tokens", json=body)
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["code"] == "token_lifetime_over_maximum"
    assert "--expires 90d or less" in problem["hint"]
    assert capped.listed(ended=True) == []
    assert capped.events() == before


def test_an_expiry_within_the_maximum_is_kept(capped: Api) -> None:
    capped.create("ci", "dev", timedelta(days=30))
    [listed] = capped.listed()
    assert timedelta(days=29) < _expires(listed) - datetime.now(UTC) <= timedelta(days=30)


def _before_the_policy(engine: Engine, database: str) -> tuple[Api, dict[str, Any]]:
    """Tokens made on the same database before the maximum was set: ``forever`` (no expiry)
    and ``yearly`` (365 days), and ``monthly`` (30 days, within it)."""
    with TestClient(create_app(database, rate=0)) as client:
        old = Api(client, engine)
        made = {
            label: old.create(label, "dev", lifetime)
            for label, lifetime in (
                ("forever", None),
                ("yearly", timedelta(days=365)),
                ("monthly", timedelta(days=30)),
            )
        }
    return old, made


def test_tokens_made_before_the_maximum_keep_working_and_the_list_flags_them(
    engine: Engine, database: str
) -> None:
    old, made = _before_the_policy(engine, database)
    with TestClient(create_app(database, rate=0, token_max_lifetime=MAXIMUM)) as client:
        client.headers["Authorization"] = old.client.headers["Authorization"]
        listed = client.get(f"{old.ws}/tokens").json()
        assert {t["label"]: t["over_maximum"] for t in listed} == {
            "forever": True,
            "yearly": True,
            "monthly": False,
        }
        snapshot = f"{old.ws}/projects/shop/environments/dev/snapshot"
        for keys in made.values():  # not revoked: flagged, for an admin to rotate
            bearer = {"Authorization": f"Bearer {keys['token']}"}
            assert client.get(snapshot, headers=bearer).status_code == 200


def test_a_rotation_caps_a_kept_lifetime_to_the_maximum_and_refuses_a_longer_one(
    engine: Engine, database: str
) -> None:
    old, made = _before_the_policy(engine, database)
    with TestClient(create_app(database, rate=0, token_max_lifetime=MAXIMUM)) as client:
        client.headers["Authorization"] = old.client.headers["Authorization"]
        api, api.client = old, client  # the same admin and workspace, on the capped server
        before = api.events()
        for refused in (
            {**api.keys("dev"), "never_expires": True},
            api.keys("dev", timedelta(days=365)),
        ):
            answer = api.rotate("forever", refused)
            assert answer.status_code == 400, answer.text
            assert answer.json()["code"] == "token_lifetime_over_maximum"
        assert api.events() == before  # refused before anything changed
        snapshot = f"{api.ws}/projects/shop/environments/dev/snapshot"
        assert api.as_token(made["forever"]["token"], snapshot) == 200

        for label in ("forever", "yearly"):
            answer = api.rotate(label, api.keys("dev"))
            assert answer.status_code == 200, answer.text
            assert answer.json()["at_maximum"] is True
            ends = _expires(answer.json()) - datetime.now(UTC)
            assert MAXIMUM - timedelta(minutes=1) < ends <= MAXIMUM
        monthly = api.rotate("monthly", api.keys("dev"))
        assert monthly.json()["at_maximum"] is False
        assert timedelta(days=29) < _expires(monthly.json()) - datetime.now(UTC) <= MAXIMUM
        assert [t["over_maximum"] for t in api.listed()] == [False, False, False]


# Through the CLI of a real server started with --token-max-lifetime.


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TeamServer]:
    yield from server_per_database(
        request, tmp_path_factory, "tokmax", "--token-max-lifetime", "90d"
    )


def _never_expires(server: TeamServer, label_token: str) -> None:
    """Make the token one from before the policy: no expiry, in the server's database."""
    principal_id = parse_token(label_token).principal_id
    engine = open_engine(server.database)
    with Session(engine) as session, session.begin():
        session.execute(
            update(SessionToken)
            .where(SessionToken.principal_id == principal_id)
            .values(expires_at=None)
        )
    engine.dispose()


def test_the_cli_gets_the_maximum_is_refused_past_it_and_flags_older_tokens(
    server: TeamServer, tmp_path: Path
) -> None:
    team = Team(server, tmp_path, "tokmax", "read", "--project", "shop", "--env", "dev")
    scope = ("--project", "shop", "--env", "dev")

    made = _cli(team.alice, team.work, "token", "create", "ci", *scope)
    never = _cli(team.alice, team.work, "token", "create", "lasting", *scope, "--expires", "never")
    longer = _cli(team.alice, team.work, "token", "create", "long", *scope, "--expires", "91d")

    assert made.returncode == 0, made.stderr
    [listed] = team.listed()["ci"]
    shown = output.moment(str(listed["expires_at"]))
    assert f"it expires at {shown}, the server's maximum lifetime from now" in made.stderr
    for refused in (never, longer):
        assert refused.returncode == 2, refused.stderr
        assert "over this server's maximum lifetime for tokens, 90d" in refused.stderr
        assert "--expires 90d or less" in refused.stderr
    assert set(team.listed()) == {"ci"}

    _never_expires(server, made.stdout.strip())
    table = _cli(team.alice, team.work, "token", "list")
    assert "active, over max" in table.stdout, table.stdout
    assert "ci: exceeds the server's maximum lifetime" in table.stderr, table.stderr
    assert json.loads(team.a("token", "list", "--json"))[0]["over_maximum"] is True

    rotated = _cli(team.alice, team.work, "token", "rotate", "ci")
    assert rotated.returncode == 0, rotated.stderr
    assert "the server's maximum lifetime from now" in rotated.stderr
    [after] = [t for t in team.listed()["ci"] if not t["revoked"]]
    assert after["over_maximum"] is False
    assert after["expires_at"] is not None


class _Refusing:
    """A server that refuses every body holding ``never_expires`` with ``error``."""

    workspace_id = "ws"

    def __init__(self, error: EnvkeepError) -> None:
        self.api, self.error = self, error
        self.bodies: list[dict[str, Any]] = []

    def request(self, _method: str, _path: str, *, json: dict[str, Any]) -> None:
        self.bodies.append(json)
        if "never_expires" in json:
            raise self.error


def test_never_asked_of_an_older_server_is_asked_again_without_the_field() -> None:
    # A server from before the field refuses it, as FastAPI words it; it has no maximum.
    older = _Refusing(EnvkeepError("invalid request: body.never_expires: Extra inputs are not"))
    assert _post_token(older, {"name": "ci", "never_expires": True}) is None  # type: ignore[arg-type]
    assert older.bodies == [{"name": "ci", "never_expires": True}, {"name": "ci"}]


def test_a_refusal_of_never_under_a_maximum_is_not_asked_again() -> None:
    capping = _Refusing(LifetimeOverMaximum("a token that never expires is over …, 90d"))
    with pytest.raises(LifetimeOverMaximum):
        _post_token(capping, {"name": "ci", "never_expires": True})  # type: ignore[arg-type]
    assert capping.bodies == [{"name": "ci", "never_expires": True}]
