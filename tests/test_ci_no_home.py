"""A job with no HOME and a user id the password database does not know (`env -i` in a
container run with `--user 12345`) keeps no state in its working directory. `~` was left as it
is, and a directory `~/.config/envkeep` (pins, and on the embedded store an identity with its
private key file) was made in each directory a command ran in, a checkout's included."""

from __future__ import annotations

import os
import pwd
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest

from envkeep.settings import load_settings


def _no_password_entry(uid: int) -> pwd.struct_passwd:
    raise KeyError(f"getpwuid(): uid not found: {uid}")


def test_no_home_and_no_password_entry_keeps_no_state_in_the_working_directory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("HOME", raising=False)
    monkeypatch.setattr(pwd, "getpwuid", _no_password_entry)

    settings = load_settings({})

    assert settings.home.is_absolute()
    assert settings.home == Path("/nonexistent/.config/envkeep")


def test_a_home_from_the_password_database_is_still_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOME", raising=False)

    settings = load_settings({})

    assert settings.home == Path(pwd.getpwuid(os.getuid()).pw_dir, ".config", "envkeep")
