"""A CI job whose ENVKEEP_TOKEN expanded to nothing (a secret not passed to it: a fork's pull
request, a misspelt secret name) is told so, not only to log in, which a CI job cannot do."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.settings import load_settings
from tests.server import cli

if TYPE_CHECKING:
    from pathlib import Path


def _checkout(root: Path) -> Path:
    (root / "envkeep.toml").write_text(
        'project = "shop"\nserver = "http://127.0.0.1:1"\nenvironments = ["dev"]\n',
        encoding="utf-8",
    )
    return root


def test_an_empty_token_is_named_in_the_hint_of_not_logged_in(tmp_path: Path) -> None:
    checkout = _checkout(tmp_path)

    done = cli(tmp_path / "ci-home", checkout, "get", "A", "--env", "dev", ENVKEEP_TOKEN="")

    assert done.returncode == 4, done.stderr
    error, hint = done.stderr.splitlines()[-2:]
    assert (
        error
        == "error: project 'shop' lives on http://127.0.0.1:1, and you are not logged in there"
    )
    assert hint.startswith("hint: ENVKEEP_TOKEN is set but empty"), hint
    assert "envkeep login http://127.0.0.1:1" in hint


def test_an_unset_token_keeps_the_hint_to_log_in(tmp_path: Path) -> None:
    checkout = _checkout(tmp_path)

    done = cli(tmp_path / "home", checkout, "get", "A", "--env", "dev")

    assert done.returncode == 4, done.stderr
    assert done.stderr.splitlines()[-1] == "hint: log in with: envkeep login http://127.0.0.1:1"


def test_an_empty_token_is_no_token_but_is_remembered_as_set() -> None:
    empty = load_settings({"ENVKEEP_TOKEN": ""})
    unset = load_settings({})

    assert (empty.token, empty.token_empty) == (None, True)
    assert (unset.token, unset.token_empty) == (None, False)


def test_an_empty_token_without_a_checkout_is_named_before_the_missing_project(
    tmp_path: Path,
) -> None:
    # a CI job with no checkout: a token would have named its project, so the empty token is
    # what to fix, not the project (`init` there would only make another)
    bare = tmp_path / "job"
    bare.mkdir()
    server = {"ENVKEEP_SERVER": "http://127.0.0.1:1"}

    done = cli(tmp_path / "ci-home", bare, "get", "A", ENVKEEP_TOKEN="", **server)
    unset = cli(tmp_path / "ci-home", bare, "get", "A", **server)

    assert done.returncode == 2, done.stderr
    error, hint = done.stderr.splitlines()[-2:]
    assert error == f"error: no envkeep.toml found in {bare} or its parents"
    assert hint.startswith("hint: ENVKEEP_TOKEN is set but empty"), hint
    assert unset.stderr.splitlines()[-1].startswith("hint: set up a project here with:")
