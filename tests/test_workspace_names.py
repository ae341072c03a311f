"""Which workspace `workspace use` means: names repeat across tenants, ids do not."""

from __future__ import annotations

import pytest

from envkeep.client.workspaces import _workspace_named
from envkeep.core.errors import NotFoundError, UsageError

OWN = {"id": "1111", "name": "acme"}
INVITED = {"id": "2222", "name": "acme"}  # another tenant's, which invited this member
OTHER = {"id": "3333", "name": "default"}


def test_a_name_held_once_is_that_workspace() -> None:
    assert _workspace_named([OWN, OTHER], "acme") == OWN


def test_an_id_names_one_workspace_even_when_names_repeat() -> None:
    assert _workspace_named([OWN, INVITED, OTHER], "2222") == INVITED


def test_a_name_held_twice_asks_for_the_id() -> None:
    with pytest.raises(UsageError) as refused:
        _workspace_named([OWN, INVITED, OTHER], "acme")
    assert refused.value.message == "you belong to 2 workspaces called 'acme'"
    assert refused.value.hint == "name one by its id (1111, 2222): envkeep workspace use ID"


def test_an_unknown_name_lists_the_members_workspaces() -> None:
    # Not found (exit 1, as the README's table says), not a usage error.
    with pytest.raises(NotFoundError, match=r"no workspace 'shop' \(yours: acme, default\)"):
        _workspace_named([OWN, OTHER], "shop")
    with pytest.raises(NotFoundError, match=r"\(yours: none\)"):
        _workspace_named([], "shop")
