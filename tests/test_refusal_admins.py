"""A refusal names the admins the caller could ask (``authz.admins_to_ask``): those holding
admin over the refused scope, nearest first, and only those `member list` shows the caller."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy.orm import Session

from envkeep.app.authz import admins_to_ask, authorize, check_role
from envkeep.app.context import new_uuid, utc_now
from envkeep.app.policy import Binding, Role, Target
from envkeep.core.errors import PermissionDenied
from envkeep.store.models import Principal, RoleBinding

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from envkeep.app.context import Call
    from tests.conftest import Owner, Store

WS = "ws"
# (email, project, environment) of every admin binding the workspace holds
ADMINS = [
    ("ws@x.io", None, None),
    ("shop@x.io", "shop", None),
    ("prod@x.io", "shop", "prod"),
    ("other@x.io", "other", None),
    ("both@x.io", None, None),
    ("both@x.io", "shop", "prod"),  # the same person at two scopes: named once, nearest
]
PROD = Target(WS, "shop", "prod")


def _by_name(admins: list[tuple[str, str | None, str | None]]) -> list[tuple[Any, ...]]:
    return sorted(admins, key=lambda row: row[0])  # as the statement orders them


def _fetch(sql: str, params: Mapping[str, Any]) -> Sequence[Sequence[Any]]:
    assert params == {"workspace": WS, "admin": "admin"}, (sql, params)
    return _by_name(ADMINS)


def test_the_admins_over_the_scope_are_named_nearest_first() -> None:
    reader = [Binding(Role.READ, WS, "shop", "prod")]
    assert admins_to_ask(_fetch, reader, PROD) == ["both@x.io", "prod@x.io", "shop@x.io", "ws@x.io"]


def test_a_caller_is_told_only_the_admins_its_roles_let_it_see() -> None:
    # A role on another project sees the workspace's admins, not the project shop's.
    elsewhere = [Binding(Role.WRITE, WS, "other", None)]
    assert admins_to_ask(_fetch, elsewhere, Target(WS, "shop")) == ["both@x.io", "ws@x.io"]


@pytest.mark.parametrize(
    ("admins", "said"),
    [
        ([], "ask an admin of environment shop/prod to grant it"),
        (
            ADMINS,
            (
                "ask an admin of environment shop/prod to grant it"
                " (both@x.io, prod@x.io, shop@x.io or 1 more)"
            ),
        ),
    ],
    ids=["nobody to name", "three named"],
)
def test_the_refusal_names_at_most_three(
    admins: list[tuple[str, str | None, str | None]], said: str
) -> None:
    def fetch(sql: str, params: Mapping[str, Any]) -> Sequence[Sequence[Any]]:
        assert params["workspace"] == WS, sql
        return _by_name(admins)

    reader = [Binding(Role.READ, WS, "shop", "prod")]
    with pytest.raises(PermissionDenied) as refused:
        check_role(reader, PROD, Role.WRITE, named="environment shop/prod", fetch=fetch)
    assert refused.value.hint == said
    assert str(refused.value) == (
        "you need the write role on environment shop/prod (you have: read there)"
    )


def _principal(store: Store, pid: str, name: str, kind: str, *, disabled: bool = False) -> None:
    with Session(store.engine) as session, session.begin():
        session.add(
            Principal(
                id=pid,
                kind=kind,
                name=name,
                encryption_public=b"e" * 32,
                signing_public=b"s" * 32,
                created_at=utc_now(),
                disabled_at=utc_now() if disabled else None,
            )
        )


def _bind(store: Store, pid: str, workspace_id: str, role: str) -> None:
    with Session(store.engine) as session, session.begin():
        session.add(
            RoleBinding(
                id=new_uuid(),
                principal_id=pid,
                workspace_id=workspace_id,
                role=role,
                created_at=utc_now(),
            )
        )


def test_tokens_and_disabled_accounts_are_never_named(store: Store, owner: Owner) -> None:
    # The owner is the workspace's admin (a user); an admin token and a disabled admin are not
    # people to ask.
    ws = owner.workspace_id
    for pid, name, kind, disabled in (
        ("10000000-0000-4000-8000-0000000000a1", f"sa:{ws}:deploy", "service", False),
        ("10000000-0000-4000-8000-0000000000a2", "gone@x.io", "user", True),
        ("10000000-0000-4000-8000-0000000000a3", "reader@x.io", "user", False),
    ):
        _principal(store, pid, name, kind, disabled=disabled)
        _bind(store, pid, ws, "read" if name == "reader@x.io" else "admin")

    def refused(call: Call) -> None:
        authorize(call.fetch, call.actor.principal_id, Target(ws), Role.WRITE)

    with pytest.raises(PermissionDenied) as raised:
        store.run("10000000-0000-4000-8000-0000000000a3", refused)
    assert raised.value.hint == "ask an admin of the workspace to grant it (owner@local)"


def test_a_refusal_names_a_project_only_to_a_caller_whose_roles_reach_it() -> None:
    asked: list[str] = []

    def fetch(sql: str, params: Mapping[str, Any]) -> Sequence[Sequence[Any]]:
        asked.append(sql)
        if "p.name, e.name" in sql:
            return [("shop", params["environment"])]  # ids are the names here
        return []  # no admins to name

    def refusal(bindings: list[Binding], target: Target) -> str:
        with pytest.raises(PermissionDenied) as refused:
            check_role(bindings, target, Role.ADMIN, fetch=fetch)
        return str(refused.value)

    reader = [Binding(Role.READ, WS, "shop", "dev")]
    elsewhere = [Binding(Role.ADMIN, WS, "other", None)]

    assert refusal(reader, Target(WS, "shop", "dev")) == (
        "you need the admin role on environment shop/dev (you have: read there)"
    )
    assert refusal(reader, Target(WS, "shop")) == (
        "you need the admin role on project shop (you have: none there)"
    )
    # a sibling environment: a role on dev does not list prod, so its name is not told (a
    # target the server worked out, as a token's other role, would give it away)
    asked.clear()
    assert refusal(reader, PROD) == (
        "you need the admin role on this environment (you have: none there)"
    )
    assert not any("p.name, e.name" in sql for sql in asked)
    asked.clear()
    assert refusal(elsewhere, PROD) == (
        "you need the admin role on this environment (you have: none there)"
    )
    assert not any("p.name, e.name" in sql for sql in asked)  # no name read, none told
