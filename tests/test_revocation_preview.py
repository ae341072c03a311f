"""The client's forecast of the tokens a change of roles ends (before `member grant` lowers a
role, and before a revocation checks it can rotate every key it must), against the rule the
server applies (`app/token_cascade.py`): a token lives while its creator holds a role and at
least each of its roles where it holds them; the tokens an ended one made end with it."""

from __future__ import annotations

from envkeep.app.policy import Binding, Role
from envkeep.client._seen_roles import Seen as _Seen

WS = "workspace"


def _seen() -> _Seen:
    """Erin: write on project shop. Her tokens: deploy (write, shop/staging), reader (read,
    shop) and sub, made by deploy (read, shop/staging); Alice (workspace admin) made ci."""
    roles = {
        "alice@x.io": [Binding(Role.ADMIN, WS)],
        "erin@x.io": [Binding(Role.WRITE, WS, "shop")],
        "token deploy": [Binding(Role.WRITE, WS, "shop", "staging")],
        "token reader": [Binding(Role.READ, WS, "shop")],
        "token sub": [Binding(Role.READ, WS, "shop", "staging")],
        "token ci": [Binding(Role.WRITE, WS, "shop")],
    }
    creators = {
        "token deploy": "erin@x.io",
        "token reader": "erin@x.io",
        "token sub": "token deploy",
        "token ci": "alice@x.io",
    }
    return _Seen(roles, creators, [])


def test_lowering_a_role_ends_the_tokens_above_it_and_those_they_made() -> None:
    seen = _seen()
    assert seen.ended("erin@x.io", ("shop", None), Role.READ) == ["deploy", "sub"]
    assert seen.ended("erin@x.io", ("shop", None), Role.WRITE) == []  # a grant that keeps it


def test_taking_every_role_ends_all_a_member_made_and_a_token_ends_what_it_made() -> None:
    seen = _seen()
    assert seen.ended("erin@x.io", None, None) == ["deploy", "reader", "sub"]
    assert seen.ended("token deploy", None, None) == ["sub"]  # deploy itself is not counted
    assert seen.ended("alice@x.io", ("shop", "dev"), None) == []  # held no role there
