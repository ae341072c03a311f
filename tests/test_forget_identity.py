"""Logout's removal of an account's keys: a keyring that will not let them go is reported,
never taken for done."""

from __future__ import annotations

from typing import TYPE_CHECKING

import keyring
from keyring.errors import PasswordDeleteError

from envkeep.client import keystore

if TYPE_CHECKING:
    from collections.abc import Callable

    import pytest


def _raising(error: Exception) -> Callable[[str, str], None]:
    def delete(_service: str, _account: str) -> None:
        raise error

    return delete


def test_a_keyring_that_fails_keeps_the_keys_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyring, "delete_password", _raising(RuntimeError("locked")))
    assert keystore.delete_from_keyring("identity:x") is False


def test_keys_never_in_the_keyring_are_gone_already(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyring, "delete_password", _raising(PasswordDeleteError("none")))
    assert keystore.delete_from_keyring("identity:x") is True
