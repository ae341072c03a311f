"""`member seal` against a server older than the count of missing keys (its member list has
no ``keys_missing``): an environment this envkeep created there was sealed to its creator only
(the server has no route saying whose role opens it), and `member seal` said "they hold every
key their roles open" while the member could read nothing there. Each person's role is then
granted again, which seals every key it opens."""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from envkeep.client import member_seal, members
from envkeep.client.member_seal import Sealed, seal_missing

if TYPE_CHECKING:
    import pytest


def _entry(principal_id: str, name: str, kind: str, role: str, **extra: Any) -> dict[str, Any]:
    principal = {"id": principal_id, "kind": kind, "name": name}
    return {"principal": principal, "role": role, "project": "shop", "environment": None} | extra


def _sealing(monkeypatch: pytest.MonkeyPatch, listed: list[dict[str, Any]]) -> list[str]:
    granted: list[str] = []

    def grant(_ctx: object, who: str, role: str, **_scope: object) -> tuple[int, None]:
        granted.append(f"{who} {role}")
        return 4, None

    monkeypatch.setattr(members, "list_members", lambda _ctx: listed)
    monkeypatch.setattr(members, "grant", grant)
    return granted


def test_an_older_servers_members_have_their_roles_granted_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    listed = [
        _entry("me", "admin@x.io", "user", "admin"),
        _entry("b", "bob@x.io", "user", "write"),
        _entry("t", "sa:w:ci", "service_account", "read"),  # an older server grants no token
    ]
    granted = _sealing(monkeypatch, listed)
    ctx: Any = SimpleNamespace(identity=SimpleNamespace(principal_id="me"))

    done = seal_missing(ctx, ["bob@x.io"])

    assert granted == ["bob@x.io write"]
    assert done.sealed == (Sealed("bob@x.io", 4, ("write on shop",)),)
    assert done.owed_nothing == ()
    assert member_seal.seal_missing(ctx).left == ()  # not the caller, nor the token


def test_a_server_that_counts_missing_keys_is_believed(monkeypatch: pytest.MonkeyPatch) -> None:
    listed = [_entry("b", "bob@x.io", "user", "write", keys_missing=0)]
    granted = _sealing(monkeypatch, listed)
    ctx: Any = SimpleNamespace(identity=SimpleNamespace(principal_id="me"))

    done = seal_missing(ctx, ["bob@x.io"])

    assert granted == []
    assert done.owed_nothing == ("bob@x.io",)
