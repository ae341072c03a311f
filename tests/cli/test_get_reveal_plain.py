"""`get` takes `--reveal` (as `list` and `history` do) and `--plain` (Doppler's `secrets get
--plain`): it prints values as they are already, so a user moving between commands or tools is
not stopped by "No such option"."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep


@pytest.mark.parametrize("flag", ["--reveal", "--plain"])
def test_get_takes_the_flags_of_its_siblings_and_of_doppler(
    envkeep: Envkeep, seeded: Path, flag: str
) -> None:
    one = envkeep("get", "PORT", flag, "--env", "dev", "--service", "api")
    two = envkeep("get", "PORT", "LOG_LEVEL", flag, "--env", "dev", "--service", "api")

    assert one.code == 0, one.describe()
    assert one.stdout == "8080\n"
    assert two.code == 0, two.describe()
    assert two.stdout == "8080\ninfo\n"
