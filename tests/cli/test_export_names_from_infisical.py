"""A team moving from Infisical or Doppler types their tool's export format: Infisical's
`dotenv-export` (`export KEY=value` lines) is answered with `shell`, not the close-looking
`dotenv`, which has no `export`; Doppler's `env-no-quotes` (bare KEY=value lines) with
`docker`. Still refused (exit 2, nothing on stdout), and following the hint works."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from .conftest import embedded_shop, quick_ok

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(
    ("typed", "meant", "line"),
    [
        ("dotenv-export", "shell", "export LOG_LEVEL='info'"),
        ("env-no-quotes", "docker", "LOG_LEVEL=info"),
    ],
)
def test_another_tools_export_format_is_answered_with_the_format_that_writes_its_lines(
    tmp_path: Path, typed: str, meant: str, line: str
) -> None:
    envkeep = embedded_shop(tmp_path)
    quick_ok(envkeep, "set", "LOG_LEVEL=info", "--env", "dev")

    refused = envkeep("export", "--env", "dev", "--format", typed)
    hinted = envkeep.ok("export", "--env", "dev", "--format", meant)

    assert refused.code == 2, refused.describe()
    assert refused.stdout == ""
    assert f"hint: did you mean '{meant}'?" in refused.stderr, refused.stderr
    assert hinted.stdout.splitlines() == [line]
