"""`envkeep lift`: a value the services hold alike moves into the shared scope, and each
override holding that value goes, as one batch (a version per change); services that differ
are refused by name (never a value) unless a value or a service to take it from is chosen.

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

REDIS = "redis://cache-x21:6379"
LOUD, QUIET = "debug-x22", "warn-x23"


def history(envkeep: Envkeep, name: str, service: str | None) -> list[dict[str, object]]:
    scope = ("-s", service) if service else ("-s", "-")
    listed = quick_ok(envkeep, "history", name, "--env", "dev", *scope, "--json", "--reveal")
    found: list[dict[str, object]] = json.loads(listed.stdout)
    return found


def test_share_moves_a_value_every_service_holds_into_shared_and_removes_the_overrides(
    envkeep: Envkeep, project: Path
) -> None:
    set_in(envkeep, "api", f"REDIS_URL={REDIS}")
    set_in(envkeep, "worker", f"REDIS_URL={REDIS}")

    result = envkeep("lift", "REDIS_URL", "--env", "dev", "--yes")

    assert result.code == 0, result.describe()
    assert "REDIS_URL: shared value set (new); same value removed from api, worker" in (
        result.stdout
    )
    assert REDIS not in result.stdout + result.stderr
    assert "removed 2 overrides (3 versions)" in result.stderr, result.describe()
    assert stored(envkeep, "dev")["REDIS_URL"] == (REDIS, 1)
    assert "REDIS_URL" not in stored(envkeep, "dev", "api")
    assert "REDIS_URL" not in stored(envkeep, "dev", "worker")
    assert [v["value"] for v in history(envkeep, "REDIS_URL", "api")] == [REDIS, None]


def test_share_refuses_services_holding_different_values_naming_them_never_the_values(
    envkeep: Envkeep, project: Path
) -> None:
    set_in(envkeep, "api", f"LOG_LEVEL={LOUD}", f"REDIS_URL={REDIS}")
    set_in(envkeep, "worker", f"LOG_LEVEL={QUIET}", f"REDIS_URL={REDIS}")

    result = envkeep("lift", "REDIS_URL", "LOG_LEVEL", "--env", "dev", "--yes")

    assert result.code == 2, result.describe()
    assert result.err_lines[0] == (
        "error: LOG_LEVEL differs between services in 'dev': api: value 1; worker: value 2;"
        " nothing was written"
    ), result.describe()
    assert "--from SERVICE" in result.err_lines[1]
    assert LOUD not in result.stderr
    assert QUIET not in result.stderr
    assert "REDIS_URL" not in stored(envkeep, "dev")  # all or nothing: REDIS_URL agreed
    assert stored(envkeep, "dev", "worker")["REDIS_URL"] == (REDIS, 1)


def test_share_from_a_service_takes_its_value_and_keeps_an_override_holding_another(
    envkeep: Envkeep, project: Path
) -> None:
    set_in(envkeep, "api", f"LOG_LEVEL={LOUD}")
    set_in(envkeep, "worker", f"LOG_LEVEL={QUIET}")

    result = envkeep("lift", "LOG_LEVEL", "--env", "dev", "--from", "worker", "--yes")

    assert result.code == 0, result.describe()
    assert "removed from worker; kept in api (another value)" in result.stdout
    assert stored(envkeep, "dev")["LOG_LEVEL"] == (QUIET, 1)
    assert stored(envkeep, "dev", "api")["LOG_LEVEL"] == (LOUD, 1)
    assert "LOG_LEVEL" not in stored(envkeep, "dev", "worker")


def test_share_with_a_given_value_tells_which_services_see_it_from_now_on(
    envkeep: Envkeep, project: Path
) -> None:
    set_in(envkeep, "api", f"LOG_LEVEL={LOUD}")

    result = envkeep("lift", f"LOG_LEVEL={QUIET}", "--env", "dev", "--yes")

    assert result.code == 0, result.describe()
    assert "kept in api (another value)" in result.stdout
    assert "worker will see it (no value of their own)" in result.stdout
    assert QUIET not in result.stdout
    assert stored(envkeep, "dev")["LOG_LEVEL"] == (QUIET, 1)
    assert stored(envkeep, "dev", "api")["LOG_LEVEL"] == (LOUD, 1)


def test_share_from_shared_removes_only_the_overrides_holding_the_shared_value(
    envkeep: Envkeep, project: Path
) -> None:
    quick_ok(envkeep, "set", f"LOG_LEVEL={QUIET}", "--env", "dev")
    set_in(envkeep, "api", f"LOG_LEVEL={QUIET}")
    set_in(envkeep, "worker", f"LOG_LEVEL={LOUD}")

    result = envkeep("lift", "LOG_LEVEL", "--from", "-", "--env", "dev", "--yes")

    assert result.code == 0, result.describe()
    assert "removed 1 override (1 version)" in result.stderr, result.describe()
    assert stored(envkeep, "dev")["LOG_LEVEL"] == (QUIET, 1)  # no new version
    assert "LOG_LEVEL" not in stored(envkeep, "dev", "api")
    assert stored(envkeep, "dev", "worker")["LOG_LEVEL"] == (LOUD, 1)


def test_share_dry_run_shows_the_plan_and_writes_nothing(envkeep: Envkeep, project: Path) -> None:
    set_in(envkeep, "api", f"REDIS_URL={REDIS}")
    set_in(envkeep, "worker", f"REDIS_URL={REDIS}")

    result = envkeep("lift", "REDIS_URL", "--env", "dev", "--dry-run")

    assert result.code == 0, result.describe()
    assert "same value removed from api, worker" in result.stdout
    assert "would write 3 changes; nothing written" in result.stderr
    assert "REDIS_URL" not in stored(envkeep, "dev")
    assert stored(envkeep, "dev", "api")["REDIS_URL"] == (REDIS, 1)


def test_share_off_a_terminal_without_yes_writes_nothing(envkeep: Envkeep, project: Path) -> None:
    set_in(envkeep, "api", f"REDIS_URL={REDIS}")

    result = envkeep("lift", "REDIS_URL", "--env", "dev")

    assert result.code == 2, result.describe()
    assert "--yes" in result.stderr
    assert "REDIS_URL" not in stored(envkeep, "dev")


def test_share_of_a_name_no_service_sets_is_refused(envkeep: Envkeep, project: Path) -> None:
    quick_ok(envkeep, "set", f"LOG_LEVEL={QUIET}", "--env", "dev")

    result = envkeep("lift", "LOG_LEVEL", "--env", "dev", "--yes")

    assert result.code == 2, result.describe()
    assert (
        "no service sets LOG_LEVEL in 'dev' (the shared scope holds it already)"
        in (result.err_lines[0])
    )


def test_share_suggest_names_the_variables_services_hold_alike(
    envkeep: Envkeep, project: Path
) -> None:
    set_in(envkeep, "api", f"REDIS_URL={REDIS}", f"LOG_LEVEL={LOUD}", "ONLY_API=1")
    set_in(envkeep, "worker", f"REDIS_URL={REDIS}", f"LOG_LEVEL={QUIET}")

    result = envkeep("lift", "--suggest", "--env", "dev")

    assert result.code == 0, result.describe()
    assert result.stdout.splitlines() == ["REDIS_URL: api, worker hold one value"]
    assert "envkeep lift REDIS_URL --env dev --dry-run" in result.stderr
    assert REDIS not in result.stdout + result.stderr


def test_share_refuses_a_name_no_variable_can_have(envkeep: Envkeep, project: Path) -> None:
    result = envkeep("lift", "BAD NAME", "--env", "dev", "--yes")

    assert result.code == 2, result.describe()
    assert result.err_lines[0] == "error: 'BAD NAME' is not a valid variable name"
