"""Invite codes split the way the server reads them."""

from __future__ import annotations

import pytest

from envkeep.client.accounts import split_invite_code
from envkeep.core.errors import UsageError

INVITE_ID = "2a1b3c4d-0000-4000-8000-000000000000"


def test_an_invite_code_splits_even_when_its_secret_holds_underscores() -> None:
    assert split_invite_code(f"ek_inv_{INVITE_ID}_a_b-c_") == (INVITE_ID, "a_b-c_")


@pytest.mark.parametrize("code", ["nope", f"ek_inv_{INVITE_ID}", f"ek_inv_{INVITE_ID}x", "ek_inv_"])
def test_anything_else_is_refused_with_a_hint(code: str) -> None:
    with pytest.raises(UsageError):
        split_invite_code(code)
