"""A wrong passphrase's hint fits the store: logging in again fetches a team server's key
file, and means nothing on the embedded store."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .accounts import PASSPHRASE

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep, Homes


def test_a_wrong_passphrase_hints_at_login_only_for_a_team_servers_keys(
    envkeep: Envkeep, project: Path, homes: Homes
) -> None:
    envkeep.ok("set", "X=1")
    envkeep.ok("identity", "protect", env={"ENVKEEP_PASSPHRASE": PASSPHRASE})

    refused = envkeep("list", env={"ENVKEEP_PASSPHRASE": "not the passphrase at all"})

    assert refused.code == 4, refused.describe()
    assert "wrong passphrase" in refused.stderr
    assert "check the passphrase (ENVKEEP_PASSPHRASE, or the one typed)" in refused.stderr
    if homes.server is None:
        assert "log in" not in refused.stderr
    else:
        assert f"envkeep login {homes.server.url}" in refused.stderr
