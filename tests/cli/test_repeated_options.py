"""An option that takes one value given twice is refused, with nothing done: click kept the
last (`set A=1 --env dev --env prod` wrote to prod). Options that repeat stay repeatable."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep


@pytest.mark.parametrize(
    "args",
    [
        ("set", "A=2", "--env", "dev", "--env", "prod"),
        ("set", "A=2", "-e", "dev", "-eprod"),
        ("set", "A=2", "--env=dev", "--env", "prod"),
        ("run", "-e", "dev", "-e", "prod", "--", "true"),
        ("set", "A=2", "-ye", "dev", "--env", "prod"),  # -y, then -e dev: as click reads it
    ],
    ids=["long", "short", "equals", "run", "grouped"],
)
def test_an_environment_given_twice_is_refused_and_nothing_is_written(
    envkeep: Envkeep, project: Path, args: tuple[str, ...]
) -> None:
    envkeep.ok("set", "A=1", "--env", "prod")

    refused = envkeep(*args)

    assert refused.code == 2, refused.describe()
    assert (
        refused.err_lines[0]
        == "error: --env is given twice; it takes one value, and none was taken"
    )
    assert envkeep.ok("get", "A", "--env", "prod").stdout == "1\n"


def test_any_one_valued_option_given_twice_is_refused(envkeep: Envkeep, project: Path) -> None:
    refused = envkeep("export", "--env", "dev", "--format", "json", "--format", "dotenv")

    assert refused.code == 2, refused.describe()
    assert refused.err_lines[0].startswith("error: --format is given twice")


def test_an_option_after_the_double_dash_is_the_commands_own(
    envkeep: Envkeep, project: Path
) -> None:
    envkeep.ok("set", "A=1", "--env", "dev")

    done = envkeep.ok("run", "--env", "dev", "--", "sh", "-c", "echo $A", "--env", "x")

    assert done.stdout == "1\n"


def test_runs_command_may_use_its_own_options_without_the_double_dash(
    envkeep: Envkeep, project: Path
) -> None:
    envkeep.ok("set", "A=1", "--env", "dev")

    done = envkeep.ok("run", "--env", "dev", "sh", "-c", "echo $A", "-e", "x", "--env", "y")

    assert done.stdout == "1\n"


def test_help_is_shown_whatever_the_options_before_it(envkeep: Envkeep, project: Path) -> None:
    """`--help` added to a line being written (two --env in it) asks for help, not a run."""
    done = envkeep.ok("set", "--env", "dev", "--env", "prod", "--help")

    assert "Usage: envkeep set" in done.stdout


def test_a_help_of_runs_command_leaves_runs_own_options_checked(
    envkeep: Envkeep, project: Path
) -> None:
    refused = envkeep("run", "-e", "dev", "-e", "prod", "--", "true", "--help")

    assert refused.code == 2, refused.describe()
    assert refused.err_lines[0].startswith("error: --env is given twice")
