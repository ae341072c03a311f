"""An environment typed by another of its usual names (`production` for `prod`,
`development` for `dev`, Doppler's `stg` for `staging`) is answered with the stored one: the
hint said to create `production`, which would make a second, empty environment beside
`prod`. Still refused (exit 1, nothing created), on either store."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from envkeep.core.environment_names import same_environment

from .conftest import quick_ok

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Homes


@pytest.mark.parametrize(
    ("typed", "meant"), [("production", "prod"), ("development", "dev"), ("stg", "staging")]
)
def test_another_usual_name_of_an_environment_is_answered_with_the_stored_one(
    homes: Homes, tmp_path: Path, typed: str, meant: str
) -> None:
    envkeep = homes.runner(tmp_path)
    quick_ok(envkeep, "init", "shop")
    quick_ok(envkeep, "set", "LOG_LEVEL=info", "--env", meant)

    refused = envkeep("get", "LOG_LEVEL", "--env", typed)
    hinted = envkeep.ok("get", "LOG_LEVEL", "--env", meant)
    listed = quick_ok(envkeep, "env", "list")

    assert refused.code == 1, refused.describe()
    assert refused.err_lines[-1] == f"hint: did you mean '{meant}'?", refused.stderr
    assert hinted.stdout == "info\n"
    assert typed not in listed.stdout.split()


def test_an_environment_of_no_usual_group_gets_no_guess() -> None:
    assert same_environment("qa", ["dev", "staging", "prod"]) is None
    assert same_environment("production", ["dev", "staging"]) is None
