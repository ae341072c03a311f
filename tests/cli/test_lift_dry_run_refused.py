"""`lift --dry-run` when some names' services hold different values: the plan of the names
that can be lifted is shown, and for each refused name the services that differ (never a
value); it exits 2 as a refused lift does, and writes nothing.

They run on the ``shop`` project (services api and worker), on each backend.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .schema_refusals import set_in, stored

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

REDIS = "redis://cache-x41:6379"
LOUD, QUIET = "debug-x42", "warn-x43"


def test_dry_run_shows_the_liftable_names_and_the_services_differing_over_the_others(
    envkeep: Envkeep, project: Path
) -> None:
    set_in(envkeep, "api", f"LOG_LEVEL={LOUD}", f"REDIS_URL={REDIS}")
    set_in(envkeep, "worker", f"LOG_LEVEL={QUIET}", f"REDIS_URL={REDIS}")

    result = envkeep("lift", "REDIS_URL", "LOG_LEVEL", "--env", "dev", "--dry-run")

    assert result.code == 2, result.describe()
    assert result.stdout.splitlines() == [
        "REDIS_URL: shared value set (new); same value removed from api, worker",
        "LOG_LEVEL: not lifted, the services differ (api: value 1; worker: value 2)",
    ]
    assert "would write 3 changes; nothing written" in result.stderr
    assert (
        "error: LOG_LEVEL differs between services in 'dev': api: value 1; worker: value 2;"
        " nothing was written"
    ) in result.err_lines
    assert not {REDIS, LOUD, QUIET} & set((result.stdout + result.stderr).split())
    assert "REDIS_URL" not in stored(envkeep, "dev")
    assert stored(envkeep, "dev", "api")["REDIS_URL"] == (REDIS, 1)


def test_dry_run_of_names_that_all_differ_exits_2_naming_each(
    envkeep: Envkeep, project: Path
) -> None:
    set_in(envkeep, "api", f"LOG_LEVEL={LOUD}", "PORT=1")
    set_in(envkeep, "worker", f"LOG_LEVEL={QUIET}", "PORT=2")

    result = envkeep("lift", "LOG_LEVEL", "PORT", "--env", "dev", "--dry-run")

    assert result.code == 2, result.describe()
    assert "LOG_LEVEL: not lifted, the services differ (api: value 1; worker: value 2)" in (
        result.stdout
    )
    assert "PORT: not lifted" in result.stdout
    assert "would write" not in result.stderr
    assert "worker: value 2 (so do 1 more: PORT); nothing was written" in result.stderr


def test_a_lift_with_a_differing_name_still_refuses_all_of_it_naming_the_others(
    envkeep: Envkeep, project: Path
) -> None:
    set_in(envkeep, "api", f"LOG_LEVEL={LOUD}", "PORT=1", f"REDIS_URL={REDIS}")
    set_in(envkeep, "worker", f"LOG_LEVEL={QUIET}", "PORT=2", f"REDIS_URL={REDIS}")

    result = envkeep("lift", "REDIS_URL", "LOG_LEVEL", "PORT", "--env", "dev", "--yes")

    assert result.code == 2, result.describe()
    assert result.err_lines[0] == (
        "error: LOG_LEVEL differs between services in 'dev': api: value 1; worker: value 2"
        " (so do 1 more: PORT); nothing was written"
    ), result.describe()
    assert result.stdout == ""
    assert "REDIS_URL" not in stored(envkeep, "dev")
