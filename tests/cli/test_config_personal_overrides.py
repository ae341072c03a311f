"""Validation findings about a personal override (`.envkeep/local.env`) say so, and say how to
fix it there: `validate`'s table and `--json`, and the refusal of `run` and `export`. And
personal overrides never reach a protected environment, whichever command reads it, unless
ENVKEEP_LOCAL_OVERRIDES=on asks for them there.

The module shares one copy of the configuration project whose local.env gives api a PORT its
schema refuses and a DB_HOST that breaks the url api's DATABASE_URL is built from (worker's
API_URL refers to api's PORT); the commands under test run as real processes, all at once.
The protected-environment tests share another copy, with prod protected.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from .config_fixtures import (
    PRINT_ENV,
    config_template_fixture,  # noqa: F401 - a fixture, requested by name
    config_tree_fixture,  # noqa: F401 - a fixture, requested by name
    printed_env,
    run_all,
)
from .conftest import copy_of, quick_ok

if TYPE_CHECKING:
    from pathlib import Path

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


def test_an_override_of_an_inherited_name_is_no_unknown_name_of_the_service(
    overridden: Overridden,
) -> None:
    """worker inherits DB_HOST from the shared scope (its schema does not declare it): the
    override changes its value, not whose name it is; PORT, which worker sees only from
    local.env, is worker's own, and unknown to its schema."""
    result = overridden.results["validate worker json"]
    unknown = [f["name"] for f in json.loads(result.stdout) if f["rule"] == "unknown"]

    assert "DB_HOST" not in unknown, result.describe()
    assert "PORT" in unknown, result.describe()


# -- a protected environment ------------------------------------------------------------------

PY = sys.executable
# Two personal overrides: LOG_LEVEL (prod's shared scope stores info) and DB_USER (api's
# template gives app; prod's DATABASE_URL is built from it).
PERSONAL_ENV = "LOG_LEVEL=debug\nDB_USER=me\n"
LEFT_OUT = (
    "note: prod is protected, so your personal overrides were left out (2 values from"
    " .envkeep/local.env: DB_USER, LOG_LEVEL); to apply them there deliberately, run with"
    " ENVKEEP_LOCAL_OVERRIDES=on"
)
PROD_URL = "postgres://app:prod-pass@db.prod.internal/shop"
OPTED_IN = {"ENVKEEP_LOCAL_OVERRIDES": "on"}

IN_PROTECTED: dict[str, tuple[str, ...]] = {
    "export": ("export", "--env", "prod", "--service", "api", "--format", "json"),
    "export k8s": ("export", "--env", "prod", "--service", "api", "--format", "k8s"),
    "run": (
        "run", "--env", "prod", "--service", "api", "--",
        PY, "-c", PRINT_ENV, "LOG_LEVEL", "DB_USER", "DATABASE_URL",
    ),
    "get": ("get", "LOG_LEVEL", "--env", "prod", "--service", "api"),
    "list": ("list", "--env", "prod", "--service", "api", "--json"),
    "explain": ("explain", "LOG_LEVEL", "--env", "prod", "--service", "api", "--json"),
    "validate": ("validate", "--env", "prod", "--service", "api", "--json"),
    "activate-all": ("activate-all", "--env", "prod", "--no-validate"),
    # Unprotected: as before, the overrides apply, with export's note naming them.
    "export staging": ("export", "--env", "staging", "--service", "api", "--format", "json"),
}  # fmt: skip


@dataclass(frozen=True)
class Protected:
    envkeep: Envkeep
    results: dict[str, Result]


@pytest.fixture(scope="module")
def protected(tmp_path_factory: pytest.TempPathFactory, config_template: Template) -> Protected:
    """The configuration project with prod protected and PERSONAL_ENV as this machine's
    .envkeep/local.env, then every command of IN_PROTECTED run."""
    envkeep = copy_of(config_template, tmp_path_factory.mktemp("protected-overrides"))
    quick_ok(envkeep, "env", "edit", "prod", "--protect")
    (envkeep.cwd / ".envkeep" / "local.env").write_text(PERSONAL_ENV, encoding="utf-8")
    return Protected(envkeep, run_all(envkeep, IN_PROTECTED))


def test_an_export_of_a_protected_environment_leaves_the_personal_overrides_out(
    protected: Protected,
) -> None:
    exported = protected.results["export"]
    secret = protected.results["export k8s"]

    assert exported.code == 0, exported.describe()
    values = json.loads(exported.stdout)
    assert (values["LOG_LEVEL"], values["DB_USER"]) == ("info", "app")
    assert values["DATABASE_URL"] == PROD_URL
    assert exported.err_lines == [LEFT_OUT]
    assert secret.code == 0, secret.describe()
    assert LEFT_OUT in secret.err_lines  # beside the note naming the Secret
    assert "debug" not in secret.stdout  # base64 of "info" is the only LOG_LEVEL there
    assert "ZGVidWc=" not in secret.stdout  # base64("debug")


def test_a_run_in_a_protected_environment_gets_the_teams_values_and_a_note(
    protected: Protected,
) -> None:
    ran = protected.results["run"]

    assert printed_env(ran) == {"LOG_LEVEL": "info", "DB_USER": "app", "DATABASE_URL": PROD_URL}
    assert ran.err_lines == [LEFT_OUT]


def test_get_list_explain_and_validate_read_a_protected_environment_as_the_team_does(
    protected: Protected,
) -> None:
    got, listed = protected.results["get"], protected.results["list"]
    explained, validated = protected.results["explain"], protected.results["validate"]

    assert (got.code, got.stdout, got.err_lines) == (0, "info\n", [LEFT_OUT]), got.describe()
    assert listed.code == 0, listed.describe()
    assert {row["overridden_by"] for row in json.loads(listed.stdout)} == {None}
    assert listed.err_lines == [LEFT_OUT]
    assert explained.code == 0, explained.describe()
    assert json.loads(explained.stdout)["winner"] == "shared"
    assert "local" not in [layer["layer"] for layer in json.loads(explained.stdout)["layers"]]
    assert explained.err_lines == [LEFT_OUT]
    assert validated.code == 0, validated.describe()
    assert validated.err_lines == [LEFT_OUT, "0 errors, 0 warnings in 1 service (prod)"]


def test_activate_all_writes_a_protected_environments_files_without_the_overrides(
    protected: Protected,
) -> None:
    activated = protected.results["activate-all"]

    assert activated.code == 0, activated.describe()
    assert LEFT_OUT in activated.err_lines
    written = (protected.envkeep.cwd / "services" / "api" / ".env").read_text(encoding="utf-8")
    assert "LOG_LEVEL=info" in written
    assert "DB_USER=app" in written
    assert "debug" not in written


def test_an_unprotected_environment_still_gets_the_personal_overrides(
    protected: Protected,
) -> None:
    exported = protected.results["export staging"]

    assert exported.code == 0, exported.describe()
    values = json.loads(exported.stdout)
    assert (values["LOG_LEVEL"], values["DB_USER"]) == ("debug", "me")
    assert exported.err_lines == [
        "note: 2 values from .envkeep/local.env, your personal overrides: DB_USER, LOG_LEVEL"
    ]


def test_envkeep_local_overrides_on_applies_them_to_a_protected_environment_deliberately(
    protected: Protected,
) -> None:
    envkeep = protected.envkeep
    exported = envkeep(*IN_PROTECTED["export"], env=OPTED_IN)
    ran = envkeep(*IN_PROTECTED["run"], env=OPTED_IN)
    after = envkeep(*IN_PROTECTED["run"])  # the opted-in run left nothing for this one to reuse

    assert exported.code == 0, exported.describe()
    assert json.loads(exported.stdout)["LOG_LEVEL"] == "debug"
    assert exported.err_lines == [
        "note: 2 values from .envkeep/local.env, your personal overrides: DB_USER, LOG_LEVEL"
    ]
    assert printed_env(ran) == {
        "LOG_LEVEL": "debug",
        "DB_USER": "me",
        "DATABASE_URL": "postgres://me:prod-pass@db.prod.internal/shop",
    }
    assert printed_env(after)["LOG_LEVEL"] == "info"
    assert after.err_lines == [LEFT_OUT]


def test_a_warm_run_in_a_protected_environment_says_again_what_it_left_out(
    envkeep: Envkeep, config_tree: Path
) -> None:
    quick_ok(envkeep, "env", "edit", "prod", "--protect")
    (config_tree / ".envkeep" / "local.env").write_text(PERSONAL_ENV, encoding="utf-8")
    show = ("--no-validate", "-s", "api", "--", "sh", "-c", 'echo "$LOG_LEVEL"')

    cold, warm = envkeep("run", "-e", "prod", *show), envkeep("run", "-e", "prod", *show)

    assert (cold.code, cold.stdout, cold.err_lines) == (0, "info\n", [LEFT_OUT]), cold.describe()
    assert (warm.code, warm.stdout, warm.err_lines) == (0, "info\n", [LEFT_OUT]), warm.describe()


def test_a_protected_environment_with_an_empty_local_env_says_nothing(
    envkeep: Envkeep, config_tree: Path
) -> None:
    quick_ok(envkeep, "env", "edit", "prod", "--protect")
    (config_tree / ".envkeep" / "local.env").write_text("# nothing yet\n", encoding="utf-8")

    got = envkeep("get", "LOG_LEVEL", "--env", "prod", "--service", "api")

    assert (got.code, got.stdout, got.stderr) == (0, "info\n", ""), got.describe()
