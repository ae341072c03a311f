"""`lift --dry-run` lists, per name, the names that cannot be lifted at all (no service sets
it; the --from service does not) beside the plan of the others, as it lists names whose
services differ; it exits 2 with the refusal a lift of that name gets, and writes nothing.
A refusal naming many values is capped (5 values, then a count).

They run on the ``shop`` project (services api and worker), on each backend.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from .conftest import quick_ok
from .schema_refusals import set_in, stored

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

REDIS = "redis://cache-x51:6379"


def test_dry_run_lists_a_name_no_service_sets_beside_the_plan_of_the_others(
    envkeep: Envkeep, project: Path
) -> None:
    set_in(envkeep, "api", f"REDIS_URL={REDIS}")
    set_in(envkeep, "worker", f"REDIS_URL={REDIS}")

    result = envkeep("lift", "NOPE", "REDIS_URL", "--env", "dev", "--dry-run")

    assert result.code == 2, result.describe()
    assert result.stdout.splitlines() == [
        "REDIS_URL: shared value set (new); same value removed from api, worker",
        "NOPE: not lifted, no service sets it (nothing sets it)",
    ]
    assert "would write 3 changes; nothing written" in result.stderr
    assert "error: no service sets NOPE in 'dev' (nothing sets it); nothing to lift" in (
        result.err_lines
    )
    assert "REDIS_URL" not in stored(envkeep, "dev")


def test_dry_run_from_a_service_lists_the_names_it_does_not_set(
    envkeep: Envkeep, project: Path
) -> None:
    set_in(envkeep, "api", f"REDIS_URL={REDIS}")
    set_in(envkeep, "worker", "REDIS_URL=redis://other-x52:6379", "ONLY_WORKER=1")

    result = envkeep(
        "lift", "ONLY_WORKER", "REDIS_URL", "--from", "api", "--env", "dev", "--dry-run"
    )

    assert result.code == 2, result.describe()
    assert result.stdout.splitlines() == [
        (
            "REDIS_URL: shared value set (new); same value removed from api; kept in worker"
            " (another value)"
        ),
        "ONLY_WORKER: not lifted, service api does not set it (services that do: worker)",
    ], result.describe()
    assert result.err_lines == [
        "would write 2 changes; nothing written",
        "error: service api does not set ONLY_WORKER in 'dev' (services that do: worker)",
        "hint: take it from one of those with --from, or give it: ONLY_WORKER=VALUE",
    ], result.describe()
    assert "REDIS_URL" not in stored(envkeep, "dev")


def test_json_dry_run_lists_a_name_no_service_sets_with_its_reason(
    envkeep: Envkeep, project: Path
) -> None:
    set_in(envkeep, "api", f"REDIS_URL={REDIS}")

    result = envkeep("lift", "NOPE", "REDIS_URL", "--env", "dev", "--dry-run", "--json")

    assert result.code == 2, result.describe()
    plan = json.loads(result.stdout)
    assert [n["name"] for n in plan["names"]] == ["REDIS_URL"]
    assert plan["refused"] == [{"name": "NOPE", "services": [], "reason": "unset"}]


def test_a_lift_of_a_name_no_service_sets_still_stops_with_its_refusal(
    envkeep: Envkeep, project: Path
) -> None:
    set_in(envkeep, "api", f"REDIS_URL={REDIS}")
    set_in(envkeep, "worker", f"REDIS_URL={REDIS}")

    result = envkeep("lift", "REDIS_URL", "NOPE", "--env", "dev", "--yes")

    assert result.code == 2, result.describe()
    assert result.stdout == ""
    assert result.err_lines[0] == (
        "error: no service sets NOPE in 'dev' (nothing sets it); nothing to lift"
    )
    assert "REDIS_URL" not in stored(envkeep, "dev")


def test_a_name_held_with_seven_values_names_five_then_a_count(
    envkeep: Envkeep, project: Path
) -> None:
    extra = [f"svc{i}" for i in range(1, 6)]
    for service in extra:
        quick_ok(envkeep, "service", "add", service)
    for at, service in enumerate(["api", "worker", *extra]):
        set_in(envkeep, service, f"LOG_LEVEL=level-x6{at}")

    dry = envkeep("lift", "LOG_LEVEL", "--env", "dev", "--dry-run")
    lift = envkeep("lift", "LOG_LEVEL", "--env", "dev", "--yes")

    assert dry.code == 2, dry.describe()
    assert dry.stdout == (
        "LOG_LEVEL: not lifted, the services differ (api: value 1; svc1: value 2; svc2: value 3;"
        " svc3: value 4; svc4: value 5; and 2 more values (7 in all))\n"
    )
    assert lift.code == 2, lift.describe()
    assert lift.err_lines[0] == (
        "error: LOG_LEVEL differs between services in 'dev': api: value 1; svc1: value 2;"
        " svc2: value 3; svc3: value 4; svc4: value 5; and 2 more values (7 in all);"
        " nothing was written"
    )
