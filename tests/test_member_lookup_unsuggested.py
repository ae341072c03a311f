"""`members.lookup(..., suggest=False)`: a caller that expects the name may be missing (`member
reset` of an account reset before and never joined again) goes on without it, so it must not
list the workspace's members and invites to suggest a close name it throws away."""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

import pytest

from envkeep.client import member_invites, members
from envkeep.core.errors import NotFoundError

if TYPE_CHECKING:
    from envkeep.client.context import ClientContext

_CTX = cast("ClientContext", SimpleNamespace())  # `team_backend` is replaced: never read


class _Missing:
    """An API that answers every request "not found", counting them."""

    def __init__(self) -> None:
        self.requests: list[str] = []

    def request(self, method: str, path: str, **_: Any) -> Any:
        self.requests.append(f"{method} {path}")
        raise NotFoundError("no account or token 'bob@exmaple.com'")


@pytest.fixture
def missing(monkeypatch: pytest.MonkeyPatch) -> tuple[_Missing, list[str]]:
    api = _Missing()
    listed: list[str] = []

    def roster(_ctx: Any) -> list[dict[str, Any]]:
        listed.append("roster")
        return [{"email": "bob@example.com"}]

    backend = SimpleNamespace(api=api, workspace_id="w1")
    monkeypatch.setattr(members, "team_backend", lambda _ctx: backend)
    monkeypatch.setattr(member_invites, "roster", roster)
    return api, listed


def test_an_unsuggested_lookup_lists_nobody(missing: tuple[_Missing, list[str]]) -> None:
    api, listed = missing
    with pytest.raises(NotFoundError) as refused:
        members.lookup(_CTX, "bob@exmaple.com", suggest=False)
    assert "did you mean" not in refused.value.message
    assert len(api.requests) == 1
    assert listed == []


def test_a_suggested_lookup_names_the_close_member(missing: tuple[_Missing, list[str]]) -> None:
    _, listed = missing
    with pytest.raises(NotFoundError) as refused:
        members.lookup(_CTX, "bob@exmaple.com")
    assert refused.value.message.endswith("(did you mean 'bob@example.com'?)")
    assert refused.value.hint == "if so, run it again with bob@example.com"
    assert listed == ["roster"]


def test_a_grant_lookup_also_says_how_to_invite(missing: tuple[_Missing, list[str]]) -> None:
    with pytest.raises(NotFoundError) as refused:
        members.lookup(_CTX, "bob@exmaple.com", granting=True)
    assert refused.value.hint == (
        "if so, run it again with bob@example.com; "
        "someone new: envkeep member invite bob@exmaple.com --role ROLE"
    )
