"""An option without its value under a group's subcommand (`template apply … --service`),
which click raises without a context, points to that subcommand's help and example, not to
the group's (`cli/usage_errors`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.server import cli

if TYPE_CHECKING:
    from pathlib import Path


def test_a_missing_option_value_under_a_group_points_to_the_subcommands_help(
    tmp_path: Path,
) -> None:
    done = cli(tmp_path / "home", tmp_path, "template", "apply", "postgres", "--service")

    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        "error: option '--service' requires an argument",
        (
            "hint: e.g. envkeep template apply postgres --service api --service worker;"
            " see: envkeep template apply --help"
        ),
    ]


def test_a_missing_option_value_of_a_top_command_gives_its_example_too(tmp_path: Path) -> None:
    done = cli(tmp_path / "home", tmp_path, "set", "--env")

    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[1] == (
        "hint: e.g. envkeep set DATABASE_URL=postgres://db/shop LOG_LEVEL=info --env dev;"
        " see: envkeep set --help"
    )
