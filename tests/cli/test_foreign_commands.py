"""A Doppler or Infisical command typed out of habit (`envkeep secrets set`, `envkeep setup`,
`envkeep download`) is answered with envkeep's command for it, not Typer's close spellings
("did you mean 'server', 'set'?"); a plain typo keeps Typer's guess."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.server import cli

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        (("secrets", "set", "A=1"), "'secrets set' is 'envkeep set' here (envkeep set --help)"),
        (("secrets", "--json"), "'secrets' is 'envkeep list' here (envkeep list --help)"),
        (("secrets", "delete", "A"), "'secrets delete' is 'envkeep unset' here"),
        (("secrets", "download", "--no-file"), "'secrets download' is 'envkeep export' here"),
        (("download",), "'download' is 'envkeep export' here"),
        (("setup",), "the environment of every command: export ENVKEEP_ENV=NAME"),
    ],
)
def test_a_doppler_command_is_answered_with_envkeeps_name_for_it(
    tmp_path: Path, typed: tuple[str, ...], said: str
) -> None:
    done = cli(tmp_path / "home", tmp_path, *typed)

    assert done.returncode == 2, done.stderr
    error = done.stderr.splitlines()[0]
    assert error.startswith(f"error: no such command '{typed[0]}'. "), done.stderr
    assert said in error, done.stderr
    assert "Did you mean" not in done.stderr


def test_a_plain_typo_of_a_command_keeps_typers_guess(tmp_path: Path) -> None:
    done = cli(tmp_path / "home", tmp_path, "lst")

    assert done.returncode == 2, done.stderr
    assert (
        done.stderr.splitlines()[0] == "error: no such command 'lst'. Did you mean 'list', 'set'?"
    )
