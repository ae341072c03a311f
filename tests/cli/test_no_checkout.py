"""Without the project's checkout (a CI job in an empty directory: ENVKEEP_PROJECT, and on a
team server a service-account token), envkeep has the store but not envkeep.toml, the services'
schema files or the templates. `validate` says so and fails rather than passing with nothing
checked; `run` and `export` still work, with one note on stderr that schema defaults,
templates and validation were not applied. In the checkout there is no note.

Every command runs as a real process, all at once, on one module-wide copy of the
configuration project.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import pytest

from .config_fixtures import (
    PRINT_ENV,
    SERVICES,
    config_template_fixture,  # noqa: F401 - a fixture, requested by name
    printed_env,
    set_args,
)
from .conftest import collect, copy_of, quick_ok

if TYPE_CHECKING:
    from .conftest import Envkeep, Homes, Result, Template

RUN_WORKER = ("run", "--env", "staging", "--service", "worker", "--")
PRINT = (sys.executable, "-c", PRINT_ENV, "API_URL")
# Run in a directory with no envkeep.toml, as CI runs them without a checkout.
BARE: dict[str, tuple[str, ...]] = {
    "validate": ("validate", "--env", "staging", "--all"),
    "validate json": ("validate", "--env", "staging", "--all", "--json"),
    "validate unnamed": ("validate", "--env", "staging"),  # no service here, no --all
    "run": (*RUN_WORKER, *PRINT),
    "export": ("export", "--env", "staging", "--service", "worker", "--format", "json"),
    # api's DATABASE_URL refers to DB_USER, which only its template (in the checkout) gives
    "export api": ("export", "--env", "staging", "--service", "api"),
    "export typo": ("export", "--env", "stagign", "--service", "worker"),
    "run typo": ("run", "--env", "stagign", "--service", "worker", "--", *PRINT),
    "activate-all": ("activate-all", "--env", "staging"),
    "activate-all json": ("activate-all", "--env", "staging", "--dry-run", "--json"),
}
# Run in the checkout.
CHECKOUT: dict[str, tuple[str, ...]] = {
    "validate": ("validate", "--env", "staging", "--all"),
    "run": (*RUN_WORKER, *PRINT),
}


def _ci_environment(envkeep: Envkeep, homes: Homes) -> dict[str, str | None]:
    """What a CI job without a checkout has: the project's name, and on a team server a
    read token of staging (in a home of its own: no login)."""
    if homes.server is None:
        return {"ENVKEEP_PROJECT": "shop"}
    made = ("token", "create", "ci", "--project", "shop", "--env", "staging", "--role", "read")
    return {
        "ENVKEEP_PROJECT": "shop",
        "ENVKEEP_TOKEN": quick_ok(envkeep, *made).stdout.strip(),
        "ENVKEEP_SERVER": homes.server.url,
        "ENVKEEP_HOME": str(envkeep.home.parent / "ci-home"),
    }


@pytest.fixture(scope="module")
def results(
    tmp_path_factory: pytest.TempPathFactory, config_template: Template, homes: Homes
) -> dict[str, Result]:
    """Each command of BARE (keyed ``bare …``) and CHECKOUT (``checkout …``), run at once."""
    root = tmp_path_factory.mktemp("no-checkout")
    envkeep = copy_of(config_template, root)
    quick_ok(envkeep, *set_args("staging", "worker", {"API_URL": "http://api:8080"}))
    bare = root / "bare"
    bare.mkdir()
    ci = _ci_environment(envkeep, homes)
    started = {f"bare {k}": envkeep.popen(*args, cwd=bare, env=ci) for k, args in BARE.items()}
    started |= {f"checkout {k}": envkeep.popen(*args) for k, args in CHECKOUT.items()}
    # Neither a checkout nor a project's name (nor a token, whose one project would name it).
    unnamed = {**ci, "ENVKEEP_PROJECT": None, "ENVKEEP_TOKEN": None, "ENVKEEP_SERVER": None}
    started["bare unnamed"] = envkeep.popen(*BARE["export"], cwd=bare, env=unnamed)
    if homes.server is not None:  # the token's one project stands for ENVKEEP_PROJECT
        by_token = {**ci, "ENVKEEP_PROJECT": None}
        started["bare token"] = envkeep.popen(*BARE["export"], cwd=bare, env=by_token)
    return collect(started)


def checkout_notes(result: Result) -> list[str]:
    """The notes about envkeep.toml (a token's first read notes its signers' keys too)."""
    return [line for line in result.err_lines if line.startswith("note: no envkeep.toml")]


def test_validate_without_a_checkout_fails_naming_the_schemas_it_could_not_read(
    results: dict[str, Result],
) -> None:
    bare, checkout = results["bare validate"], results["checkout validate"]
    unnamed = results["bare validate unnamed"]  # not "say which services": none is declared
    assert (unnamed.code, unnamed.err_lines[-2:]) == (bare.code, bare.err_lines[-2:])

    assert checkout.code == 3, checkout.describe()  # web's PUBLIC_URL is missing in staging
    assert bare.code == 2, bare.describe()  # could not run: not "the values are wrong"
    assert "0 errors" not in bare.stderr
    error, hint = bare.err_lines[-2:]
    assert error.startswith("error: ")
    assert all(service in error for service in SERVICES), error
    assert "envkeep.toml" in error
    assert "schema" in error
    assert hint.startswith("hint: ")
    assert "checkout" in hint
    as_json = results["bare validate json"]
    assert as_json.code == 2, as_json.describe()
    assert as_json.stdout == ""  # not "[]", which a pipeline would read as every service valid


def test_activate_all_without_a_checkout_fails_rather_than_writing_nothing(
    results: dict[str, Result],
) -> None:
    for key in ("bare activate-all", "bare activate-all json"):
        refused = results[key]
        assert refused.code == 2, refused.describe()  # not 0 with "wrote 0 of 0 .env files"
        assert refused.stdout == ""  # not "[]": a pipeline would read it as nothing to do
        error, hint = refused.err_lines[-2:]
        assert error.startswith("error: activate-all needs the project's checkout"), error
        assert "envkeep.toml" in error
        assert "checkout" in hint
        assert checkout_notes(refused) == []  # the error says it; no note before it


def test_run_without_a_checkout_still_runs_and_says_what_was_not_applied_on_stderr(
    results: dict[str, Result],
) -> None:
    ran = results["bare run"]

    assert printed_env(ran) == {"API_URL": "http://api:8080"}
    [note] = checkout_notes(ran)
    assert "envkeep.toml" in note
    for missing in ("schema defaults", "templates", "validation"):
        assert missing in note, note
    assert "checkout" in note


def test_export_without_a_checkout_keeps_its_note_off_stdout(results: dict[str, Result]) -> None:
    exported = results["bare export"]

    assert exported.code == 0, exported.describe()
    assert json.loads(exported.stdout)["API_URL"] == "http://api:8080"
    [note] = checkout_notes(exported)
    assert "envkeep.toml" in note


def test_run_in_the_checkout_says_nothing_about_a_checkout(results: dict[str, Result]) -> None:
    ran = results["checkout run"]

    assert printed_env(ran) == {"API_URL": "http://api:8080"}
    assert ran.stderr == ""


def test_an_error_before_any_value_is_read_comes_without_the_checkout_note(
    results: dict[str, Result],
) -> None:
    unnamed = results["bare unnamed"]
    assert unnamed.code == 2, unnamed.describe()
    assert unnamed.err_lines[0].startswith("error: no envkeep.toml found"), unnamed.describe()
    for typo in (results["bare export typo"], results["bare run typo"]):
        assert typo.code == 1, typo.describe()
        assert "environment 'stagign' not found" in typo.stderr, typo.describe()
    for refused in (unnamed, results["bare export typo"], results["bare run typo"]):
        assert checkout_notes(refused) == [], refused.describe()
        assert refused.stdout == ""


def test_a_tokens_one_project_names_the_project_where_nothing_else_does(
    results: dict[str, Result], homes: Homes
) -> None:
    if homes.server is None:
        pytest.skip("team server only: tokens")
    by_token, named = results["bare token"], results["bare export"]
    assert by_token.code == named.code == 0, by_token.describe()
    assert by_token.stdout == named.stdout


def test_a_reference_into_a_template_fails_after_the_note_that_explains_it(
    results: dict[str, Result],
) -> None:
    exported = results["bare export api"]

    assert exported.code == 3, exported.describe()
    assert exported.stdout == ""
    [note] = checkout_notes(exported)
    error = next(line for line in exported.err_lines if line.startswith("error: "))
    assert exported.err_lines.index(note) < exported.err_lines.index(error)
    assert "DB_USER" in exported.stderr, exported.describe()
