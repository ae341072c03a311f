"""Validation findings about a personal override (`.envkeep/local.env`) say so, and say how to
fix it there: `validate`'s table and `--json`, and the refusal of `run` and `export`.

The module shares one copy of the configuration project whose local.env gives api a PORT its
schema refuses and a DB_HOST that breaks the url api's DATABASE_URL is built from (worker's
API_URL refers to api's PORT); the commands under test run as real processes, all at once.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from .config_fixtures import (
    config_template_fixture,  # noqa: F401 - a fixture, requested by name
    run_all,
)
from .conftest import copy_of, quick_ok

if TYPE_CHECKING:
    from .conftest import Envkeep, Result, Template

LOCAL_ENV = "PORT=abc\nDB_HOST=bad host\n"
PERSONAL = "(from .envkeep/local.env, your personal override)"
PORT_PROBLEM = f"expected a port number from 1 to 65535 {PERSONAL}"
URL_PROBLEM = "expected a URL like scheme://host/path"
DB_HOST_PROBLEM = (
    f"{URL_PROBLEM} (as it refers to ${{DB_HOST}}, from .envkeep/local.env, your personal override)"
)
API_PORT_PROBLEM = (
    f"{URL_PROBLEM} (as it refers to ${{api.PORT}}, from .envkeep/local.env, your personal"
    " override)"
)
HINT_API = (
    "hint: PORT, DB_HOST come from .envkeep/local.env, your personal overrides: correct them"
    " there, or delete their lines to drop the overrides"
)

PROCESSES: dict[str, tuple[str, ...]] = {
    "validate api": ("validate", "--env", "dev", "--service", "api"),
    "validate api json": ("validate", "--env", "dev", "--service", "api", "--json"),
    "validate worker json": ("validate", "--env", "dev", "--service", "worker", "--json"),
    "run api": ("run", "--env", "dev", "--service", "api", "--", sys.executable, "-c", "pass"),
    "export web": ("export", "--env", "dev", "--service", "web", "-f", "json"),
}


@dataclass(frozen=True)
class Overridden:
    envkeep: Envkeep
    results: dict[str, Result]


@pytest.fixture(scope="module")
def overridden(tmp_path_factory: pytest.TempPathFactory, config_template: Template) -> Overridden:
    """The configuration project with LOCAL_ENV as this machine's .envkeep/local.env, and a
    value api stores that its schema refuses (LOG_LEVEL, written past set's check), then
    every command of PROCESSES run."""
    envkeep = copy_of(config_template, tmp_path_factory.mktemp("personal-overrides"))
    quick_ok(envkeep, "set", "LOG_LEVEL=verbose", "--env", "dev", "-s", "api", "--no-validate")
    (envkeep.cwd / ".envkeep" / "local.env").write_text(LOCAL_ENV, encoding="utf-8")
    return Overridden(envkeep, run_all(envkeep, PROCESSES))


def _table_problems(result: Result) -> dict[tuple[str, str], str]:
    """validate's table: (name, rule) -> its PROBLEM column, cut where the header puts it."""
    header, *rows = result.stdout.splitlines()
    start, end = header.index("PROBLEM"), header.index("VALUE")
    return {(row.split()[1], row.split()[3]): row[start:end].strip() for row in rows}


def _problems(result: Result) -> dict[tuple[str, str], str]:
    """validate --json's findings: (name, rule) -> message."""
    return {(f["name"], f["rule"]): f["message"] for f in json.loads(result.stdout)}


def test_validate_says_which_refused_values_are_personal_overrides(
    overridden: Overridden,
) -> None:
    result = overridden.results["validate api"]

    assert result.code == 3, result.describe()
    assert _table_problems(result) == {
        ("PORT", "type"): PORT_PROBLEM,
        # A stored value (the team's, not this machine's) is not labelled.
        ("LOG_LEVEL", "enum"): "expected one of: debug, info, warn, error",
        ("DATABASE_URL", "type"): DB_HOST_PROBLEM,
        ("EXTRA_DEBUG", "unknown"): "not declared in the schema",
    }


def test_validate_hints_to_fix_or_drop_the_personal_overrides_behind_its_errors(
    overridden: Overridden,
) -> None:
    result = overridden.results["validate api"]

    assert result.err_lines == ["3 errors, 1 warning in 1 service (dev)", HINT_API]


def test_validate_json_names_the_layer_each_value_came_from(overridden: Overridden) -> None:
    result = overridden.results["validate api json"]

    assert result.code == 3, result.describe()
    found = {f["name"]: f for f in json.loads(result.stdout)}
    assert found["PORT"] == {
        "service": "api",
        "name": "PORT",
        "rule": "type",
        "severity": "error",
        "message": PORT_PROBLEM,
        "layer": "local",
    }
    layers = {name: f["layer"] for name, f in found.items()}
    assert layers == {
        "PORT": "local",
        "LOG_LEVEL": "service:api",
        "DATABASE_URL": "service:api",  # its value is api's; what it refers to is local
        "EXTRA_DEBUG": "service:api",
    }
    assert found["DATABASE_URL"]["message"] == DB_HOST_PROBLEM
    assert result.err_lines[-1] == HINT_API  # on stderr: stdout stays JSON


def test_a_value_refused_for_what_another_service_overrides_here_says_so(
    overridden: Overridden,
) -> None:
    result = overridden.results["validate worker json"]

    assert result.code == 3, result.describe()
    assert _problems(result)["API_URL", "type"] == API_PORT_PROBLEM
    assert result.err_lines[-1] == (
        "hint: PORT comes from .envkeep/local.env, your personal override: correct it there,"
        " or delete its line to drop the override"
    )


def test_run_refusal_names_the_personal_override_and_how_to_fix_it(
    overridden: Overridden,
) -> None:
    result = overridden.results["run api"]

    assert result.code == 3, result.describe()
    refused = (
        f"error: 3 problems in 'dev': api.PORT: {PORT_PROBLEM}; api.LOG_LEVEL: expected one of:"
        f" debug, info, warn, error; api.DATABASE_URL: {DB_HOST_PROBLEM}"
    )
    hint = (
        f"{HINT_API}; see them all with: envkeep validate --env dev --service api, or skip with"
        " --no-validate"
    )
    assert result.err_lines == [refused, hint]


def test_a_service_the_overrides_do_not_break_gets_no_hint_about_them(
    overridden: Overridden,
) -> None:
    result = overridden.results["export web"]  # web's schema declares neither name

    assert result.code == 0, result.describe()
    assert result.err_lines == [  # export's note of what local.env gives, as before
        "note: 2 values from .envkeep/local.env, your personal overrides: DB_HOST, PORT"
    ]
