"""A locale whose encoding is not UTF-8 (LC_ALL=C with Python's UTF-8 mode off, Latin-1): a
value it cannot hold is a setting to change, said as such (exit 2), not "a bug in envkeep".
Real processes: a fork of the test's interpreter keeps its UTF-8 streams."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from .conftest import ENVKEEP

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

ASCII_LOCALE = {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}


@pytest.mark.parametrize(
    "command",
    [("get", "GREETING"), ("export",), ("run", "--", sys.executable, "-c", "pass")],
    ids=["get", "export", "run"],
)
def test_a_value_the_locale_cannot_hold_says_to_use_a_utf8_locale(
    envkeep: Envkeep, seeded: Path, command: tuple[str, ...]
) -> None:
    envkeep.ok("set", "GREETING=grüße ✓", "--env", "dev")

    done = subprocess.run(
        [*ENVKEEP, *command[:1], "--env", "dev", *command[1:]],
        capture_output=True,
        text=True,
        cwd=envkeep.cwd,
        env=envkeep.environ({**ASCII_LOCALE, "ENVKEEP_RUN_CACHE": "off"}),
        check=False,
        timeout=60,
    )

    assert done.returncode == 2, done.stderr
    error, hint = done.stderr.splitlines()[-2:]
    assert error.startswith("error: this locale's encoding (ascii) cannot hold a character")
    assert "LC_ALL=C.UTF-8" in hint
    assert "grüße" not in done.stderr
    assert "bug" not in done.stderr
