"""`command_line.asks_help`: the one reading of "a help is asked" that the console script
(hold SIGTERM for `server`?) and Typer's path (refuse repeated options?) share."""

from __future__ import annotations

import pytest

from envkeep.cli.command_line import asks_help


@pytest.mark.parametrize(
    ("args", "asked"),
    [
        (["server", "--help"], True),
        (["server", "--port", "8600", "--help"], True),
        (["server", "migrate", "--help"], True),
        (["--help", "server"], True),
        (["server", "--port", "8600"], False),
        (["run", "--", "tool", "--help"], False),  # the command's own help, not envkeep's
        (["run", "--help", "--", "tool"], True),
        ([], False),
    ],
)
def test_a_help_is_asked_by_help_before_any_double_dash(args: list[str], asked: bool) -> None:
    assert asks_help(args) is asked
