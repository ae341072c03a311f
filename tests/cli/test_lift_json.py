"""`lift --json`: the plan (with --dry-run) or the lift made, as one JSON document on stdout:
each name, whose value it takes, the overrides removed and kept; a refused name with the
services that differ, grouped by value, never a value. A refusal prints the document all the
same, writes nothing and exits 2.

They run on the ``shop`` project (services api and worker), on each backend.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from .schema_refusals import set_in, stored

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

REDIS = "redis://cache-x51:6379"
LOUD, QUIET = "debug-x52", "warn-x53"


def test_json_lift_writes_and_says_each_name_whose_value_and_the_overrides_removed(
    envkeep: Envkeep, project: Path
) -> None:
    set_in(envkeep, "api", f"REDIS_URL={REDIS}", f"LOG_LEVEL={LOUD}")
    set_in(envkeep, "worker", f"REDIS_URL={REDIS}", f"LOG_LEVEL={QUIET}")

    result = envkeep(
        "lift", "REDIS_URL", "LOG_LEVEL", "--from", "worker", "--env", "dev", "--yes", "--json"
    )

    assert result.code == 0, result.describe()
    done = json.loads(result.stdout)
    assert done["names"] == [
        {
            "name": "REDIS_URL",
            "shared": "new",
            "from": ["worker"],
            "overrides_removed": ["api", "worker"],
            "overrides_kept": [],
            "newly_seen": [],
        },
        {
            "name": "LOG_LEVEL",
            "shared": "new",
            "from": ["worker"],
            "overrides_removed": ["worker"],
            "overrides_kept": ["api"],
            "newly_seen": [],
        },
    ]
    assert (done["dry_run"], done["refused"], done["changes"], done["written"]) == (
        False, [], 5, 5
    )  # fmt: skip
    assert not {REDIS, LOUD, QUIET} & set(result.stdout.split('"'))
    assert stored(envkeep, "dev")["LOG_LEVEL"] == (QUIET, 1)
    assert stored(envkeep, "dev", "api")["LOG_LEVEL"] == (LOUD, 1)


def test_json_dry_run_lists_the_refused_names_with_the_services_that_differ(
    envkeep: Envkeep, project: Path
) -> None:
    set_in(envkeep, "api", f"REDIS_URL={REDIS}", f"LOG_LEVEL={LOUD}")
    set_in(envkeep, "worker", f"REDIS_URL={REDIS}", f"LOG_LEVEL={QUIET}")

    result = envkeep("lift", "REDIS_URL", "LOG_LEVEL", "--env", "dev", "--dry-run", "--json")

    assert result.code == 2, result.describe()
    plan = json.loads(result.stdout)
    assert [(n["name"], n["from"]) for n in plan["names"]] == [("REDIS_URL", ["api", "worker"])]
    assert plan["refused"] == [
        {"name": "LOG_LEVEL", "services": [["api"], ["worker"]], "reason": "differ"}
    ]
    assert (plan["dry_run"], plan["changes"], plan["written"]) == (True, 3, 0)
    assert "LOG_LEVEL differs between services in 'dev'" in result.stderr
    assert "REDIS_URL" not in stored(envkeep, "dev")


def test_json_lift_with_a_refused_name_prints_the_plan_and_writes_nothing(
    envkeep: Envkeep, project: Path
) -> None:
    set_in(envkeep, "api", f"REDIS_URL={REDIS}", f"LOG_LEVEL={LOUD}")
    set_in(envkeep, "worker", f"REDIS_URL={REDIS}", f"LOG_LEVEL={QUIET}")

    result = envkeep("lift", "REDIS_URL", "LOG_LEVEL", "--env", "dev", "--yes", "--json")

    assert result.code == 2, result.describe()
    assert json.loads(result.stdout)["written"] == 0
    assert "REDIS_URL" not in stored(envkeep, "dev")
    assert stored(envkeep, "dev", "api")["REDIS_URL"] == (REDIS, 1)


def test_json_lift_without_yes_or_dry_run_asks_for_one_and_writes_nothing(
    envkeep: Envkeep, project: Path
) -> None:
    set_in(envkeep, "api", f"REDIS_URL={REDIS}")

    result = envkeep("lift", "REDIS_URL", "--env", "dev", "--json")

    assert result.code == 2, result.describe()
    assert result.stdout == ""
    assert "add --yes to write, or --dry-run" in result.stderr
    assert "REDIS_URL" not in stored(envkeep, "dev")


def test_json_suggest_lists_the_candidates(envkeep: Envkeep, project: Path) -> None:
    set_in(envkeep, "api", f"REDIS_URL={REDIS}")
    set_in(envkeep, "worker", f"REDIS_URL={REDIS}")

    result = envkeep("lift", "--suggest", "--env", "dev", "--json")

    assert result.code == 0, result.describe()
    assert json.loads(result.stdout) == [
        {"name": "REDIS_URL", "services": ["api", "worker"], "same_as_shared": False,
         "others": []}
    ]  # fmt: skip
