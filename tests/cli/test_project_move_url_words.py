"""`envkeep project move-to URL` with an address that is no server URL names it as the
argument it is, not as ENVKEEP_SERVER (which the user never set), and changes nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .conftest import embedded_shop, quick, quick_ok

if TYPE_CHECKING:
    from pathlib import Path


def test_move_to_an_address_without_a_scheme_is_refused_without_naming_envkeep_server(
    tmp_path: Path,
) -> None:
    envkeep = embedded_shop(tmp_path)
    quick_ok(envkeep, "set", "A=1", "--env", "dev")
    old = (envkeep.cwd / "envkeep.toml").read_bytes()

    refused = quick(envkeep, "project", "move-to", "keep.example.com")

    assert refused.code == 2, refused.describe()
    assert "error: 'keep.example.com' is not a server URL\n" in refused.stderr
    assert "ENVKEEP_SERVER" not in refused.stderr
    assert (envkeep.cwd / "envkeep.toml").read_bytes() == old
