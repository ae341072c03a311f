"""`env diff` and `promote`: what differs between two environments, and copying values over
(the plan first; nothing written without --yes).

staging and prod (see config_fixtures.STORED) differ in DB_HOST and DB_PASSWORD, FEATURE_X
only in staging, OLD_FLAG only in prod, and api's PORT.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from .config_fixtures import (
    STORED,
    assert_one_line_error,
    config_template_fixture,  # noqa: F401 - a fixture, requested by name
    config_tree_fixture,  # noqa: F401 - a fixture, requested by name
    store_a_cycle,
    values_by_scope,
)
from .conftest import Result, collect, copy_of, quick_ok

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep, Template

MASK = "••••••"
SECRETS = ("staging-pass", "prod-pass", "db.staging.internal", "db.prod.internal", "8443")

DIFF = [  # (scope, name, change, from, to) from staging to prod, every scope
    ("api", "PORT", "changed", "8080", "8443"),
    ("shared", "DB_HOST", "changed", "db.staging.internal", "db.prod.internal"),
    ("shared", "DB_PASSWORD", "changed", "staging-pass", "prod-pass"),
    ("shared", "FEATURE_X", "removed", "on", None),
    ("shared", "OLD_FLAG", "added", None, "1"),
]

COMMANDS: dict[str, tuple[str, ...]] = {
    "diff": ("env", "diff", "staging", "prod"),
    "diff reveal": ("env", "diff", "staging", "prod", "--reveal"),
    "diff json": ("env", "diff", "staging", "prod", "--json"),
    "diff json reveal": ("env", "diff", "staging", "prod", "--json", "--reveal"),
    "diff api": ("env", "diff", "staging", "prod", "--service", "api", "--json", "--reveal"),
    "diff exit-code": ("env", "diff", "staging", "prod", "--exit-code"),
    "same exit-code": ("env", "diff", "staging", "staging", "--exit-code"),
    "typo exit-code": ("env", "diff", "staging", "prdo", "--exit-code"),
    "typo": ("env", "diff", "staging", "prdo"),
}


@pytest.fixture(scope="module")
def diffs(tmp_path_factory: pytest.TempPathFactory, config_template: Template) -> dict[str, Result]:
    envkeep = copy_of(config_template, tmp_path_factory.mktemp("config-envs"))
    return collect({key: envkeep.popen(*args) for key, args in COMMANDS.items()})


def rows(output: str) -> list[list[str]]:
    """A diff table's rows (header dropped), split into columns."""
    return [line.split() for line in output.splitlines()[1:] if line.strip()]


def test_env_diff_lists_added_removed_and_changed_names_masked(diffs: dict[str, Result]) -> None:
    result = diffs["diff"]

    assert result.code == 0, result.describe()
    marks = {"added": "+", "removed": "-", "changed": "~"}
    assert rows(result.stdout) == [
        [marks[change], scope, name, MASK if old else "-", MASK if new else "-"]
        for scope, name, change, old, new in DIFF
    ]
    assert not [s for s in SECRETS if s in result.stdout]


def test_env_diff_reveal_shows_both_values(diffs: dict[str, Result]) -> None:
    table = rows(diffs["diff reveal"].stdout)

    assert ["~", "shared", "DB_PASSWORD", "staging-pass", "prod-pass"] in table
    assert ["+", "shared", "OLD_FLAG", "-", "1"] in table


def test_env_diff_json_has_a_change_per_name_and_values_only_with_reveal(
    diffs: dict[str, Result],
) -> None:
    masked = json.loads(diffs["diff json"].stdout)
    revealed = json.loads(diffs["diff json reveal"].stdout)

    assert masked == [{"scope": s, "name": n, "change": c} for s, n, c, _old, _new in DIFF]
    assert revealed == [
        {"scope": s, "name": n, "change": c, "from": old, "to": new} for s, n, c, old, new in DIFF
    ]


def test_env_diff_for_a_service_compares_what_it_resolves_to(diffs: dict[str, Result]) -> None:
    changes = {
        (d["name"], d["change"]): (d["from"], d["to"]) for d in json.loads(diffs["diff api"].stdout)
    }

    assert changes[("DATABASE_URL", "changed")] == (
        "postgres://app:staging-pass@db.staging.internal/shop",
        "postgres://app:prod-pass@db.prod.internal/shop",
    )
    assert changes[("PORT", "changed")] == ("8080", "8443")
    assert ("DB_NAME", "changed") not in changes  # the same template default on both sides
    # Each name is labelled with the layer that sets it for the service, not all as "api".
    scopes = {d["name"]: d["scope"] for d in json.loads(diffs["diff api"].stdout)}
    assert scopes["DATABASE_URL"] == scopes["PORT"] == "api"
    assert scopes["DB_HOST"] == scopes["DB_PASSWORD"] == "shared"
    every_scope = {(d["name"], d["scope"]) for d in json.loads(diffs["diff json"].stdout)}
    assert ("PORT", "api") in every_scope  # the service's own scope, named as in that diff


def test_env_diff_exits_1_on_differences_only_with_exit_code(diffs: dict[str, Result]) -> None:
    assert diffs["diff"].code == 0  # a look, not a check: scripts that only print keep working
    assert diffs["diff exit-code"].code == 1
    assert diffs["diff exit-code"].stdout == diffs["diff"].stdout
    assert diffs["same exit-code"].code == 0
    assert "no differences" in diffs["same exit-code"].stdout + diffs["same exit-code"].stderr
    # An error is not drift: 2, as diff(1) says trouble, and the error's own code without it.
    assert diffs["typo exit-code"].code == 2, diffs["typo exit-code"].describe()
    assert diffs["typo exit-code"].stderr == diffs["typo"].stderr
    assert "environment 'prdo' not found" in diffs["typo"].err_lines[0]
    assert diffs["typo"].code == 1


def test_env_diff_for_a_service_names_both_layers_when_a_value_moved_between_them(
    envkeep: Envkeep, config_tree: Path
) -> None:
    quick_ok(envkeep, "set", "DB_HOST=db.prod.api.internal", "--env", "prod", "--service", "api")
    result = quick_ok(envkeep, "env", "diff", "staging", "prod", "--service", "api", "--json")
    scopes = {d["name"]: d["scope"] for d in json.loads(result.stdout)}
    assert scopes["DB_HOST"] == "shared->api"  # shared in staging, the service's own in prod
    assert scopes["DB_PASSWORD"] == "shared"


def test_env_diff_for_a_service_shows_the_drift_past_names_that_do_not_resolve(
    envkeep: Envkeep, config_tree: Path
) -> None:
    """A cycle in staging stopped the whole diff (exit 3, nothing shown, and 3 with
    --exit-code, which promises 2 on an error). The drift is shown, the names in the cycle
    compared as stored and marked, then the error: 3, or 2 with --exit-code (diff's trouble)."""
    store_a_cycle(envkeep, "staging", "api", "LOOP_A", "LOOP_B")
    diff = ("env", "diff", "staging", "prod", "--service", "api")

    plain, checked, listed = envkeep(*diff), envkeep(*diff, "--exit-code"), envkeep(*diff, "--json")

    assert plain.code == 3, plain.describe()
    assert checked.code == 2, checked.describe()
    assert checked.stdout == plain.stdout
    table = {row[2]: row for row in rows(plain.stdout)}
    assert table["PORT"] == ["~", "api", "PORT", MASK, MASK]  # the drift, as without the cycle
    assert table["LOOP_A"] == ["-", "shared", "LOOP_A", MASK, "(unresolved)", "-"]
    assert_one_line_error(
        plain, "not every value api sees resolves: LOOP_A, LOOP_B in staging (reference cycle"
    )
    assert "envkeep validate --env staging --service api" in plain.err_lines[1]
    changes = {d["name"]: d for d in json.loads(listed.stdout)}
    assert changes["LOOP_B"] == {
        "scope": "api", "name": "LOOP_B", "change": "removed", "unresolved": ["from"]
    }  # fmt: skip
    assert "unresolved" not in changes["PORT"]


def test_promote_without_yes_shows_the_plan_and_writes_nothing(
    envkeep: Envkeep, config_tree: Path
) -> None:
    result = envkeep("promote", "--from", "staging", "--to", "prod")

    assert result.code == 2
    assert "--yes" in result.stderr
    planned = {(row[-4], row[-3]) for row in rows(result.stdout)}
    assert planned == {("api", "PORT"), ("shared", "DB_HOST"), ("shared", "DB_PASSWORD"),
                       ("shared", "FEATURE_X")}  # fmt: skip
    assert not [s for s in SECRETS if s in result.stdout]
    prod = quick_ok(envkeep, "list", "--env", "prod", "--service", "api", "--json", "--reveal")
    assert values_by_scope(prod.stdout) == {
        (scope, name): value
        for scope, values in STORED["prod"].items()
        for name, value in values.items()
    }


def test_promote_without_a_target_is_one_usage_error_line_naming_the_missing_flag(
    envkeep: Envkeep, config_tree: Path
) -> None:
    result = envkeep("promote", "--from", "staging")

    assert result.code == 2
    assert_one_line_error(result, "--to")
    assert "--from and" not in result.err_lines[0]


def test_promote_with_environments_as_arguments_hints_at_the_flags_for_them(
    envkeep: Envkeep, config_tree: Path
) -> None:
    result = envkeep("promote", "staging", "prod", "PORT")

    assert result.code == 2
    assert_one_line_error(result, "--from and --to")
    assert result.err_lines[1].endswith("envkeep promote --from staging --to prod PORT")


def test_promote_with_yes_copies_only_the_names_given_and_deletes_nothing(
    envkeep: Envkeep, config_tree: Path
) -> None:
    result = envkeep("promote", "--from", "staging", "--to", "prod", "FEATURE_X", "PORT", "--yes")

    assert result.code == 0, result.describe()
    prod = values_by_scope(
        quick_ok(envkeep, "list", "--env", "prod", "-s", "api", "--json", "--reveal").stdout
    )
    assert prod[("shared", "FEATURE_X")] == "on"
    assert prod[("api", "PORT")] == "8080"
    assert prod[("shared", "DB_PASSWORD")] == "prod-pass"  # not named: left alone
    assert prod[("shared", "OLD_FLAG")] == "1"  # only in prod: never deleted


def test_promote_of_a_name_the_source_lacks_is_refused(envkeep: Envkeep, config_tree: Path) -> None:
    result = envkeep("promote", "--from", "staging", "--to", "prod", "OLD_FLAG", "--yes")

    assert result.code == 2
    assert_one_line_error(result, "OLD_FLAG", "'staging'")
