"""A command line click cannot parse is said as envkeep's other errors are: ``error: …`` from
a lowercase letter and a hint (the command's example and its --help), exit 2; not click's
``Usage: …`` block and ``Error: Missing argument 'command'.``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.server import cli

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        (
            ("run", "--env", "dev"),
            [
                "error: missing argument 'command'",
                (
                    "hint: e.g. envkeep run --env dev --service api -- uvicorn app:app;"
                    " see: envkeep run --help"
                ),
            ],
        ),
        (
            ("template", "show"),
            [
                "error: missing argument 'name'",
                "hint: e.g. envkeep template show postgres; see: envkeep template show --help",
            ],
        ),
        (
            ("get", "--revel", "A"),
            [
                "error: no such option: --revel (Possible options: --env, --reveal, --service)",
                "hint: e.g. envkeep get PORT --env dev --service api; see: envkeep get --help",
            ],
        ),
        (
            ("export", "--env"),
            [
                "error: option '--env' requires an argument",
                (
                    "hint: e.g. envkeep export --env prod --service api --format k8s"
                    " --namespace shop -o secret.yaml; see: envkeep export --help"
                ),
            ],
        ),
    ],
    ids=["run-without-command", "template-show-without-name", "unknown-option", "no-value"],
)
def test_a_usage_error_is_one_error_line_and_a_hint(
    tmp_path: Path, typed: tuple[str, ...], said: list[str]
) -> None:
    done = cli(tmp_path / "home", tmp_path, *typed)

    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == said
    assert done.stdout == ""


def test_a_group_without_its_subcommand_still_shows_its_help(tmp_path: Path) -> None:
    done = cli(tmp_path / "home", tmp_path, "template")

    assert done.returncode == 2, done.stderr
    assert "Usage: envkeep template [OPTIONS] COMMAND" in done.stdout + done.stderr
    assert "error:" not in done.stderr
