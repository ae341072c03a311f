"""`share` checks the batch as `set` and `promote` check theirs: a service that did not set
the name sees the shared value from then on, so its schema judges it, before anything is
written (all or nothing, the names that passed included).

They run on the configuration project (config_fixtures: api's schema has WORKERS an int from 1
to 64, which api does not set; worker and web have no WORKERS in their schemas).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .config_fixtures import (
    config_template_fixture,  # noqa: F401 - a fixture, requested by name
    config_tree_fixture,  # noqa: F401 - a fixture, requested by name
)
from .conftest import quick_ok
from .schema_refusals import assert_refused, stored

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

BAD_WORKERS = "many-workers-x31"


def test_share_refused_by_the_schema_of_a_service_that_would_see_it_writes_nothing(
    envkeep: Envkeep, config_tree: Path
) -> None:
    for service in ("worker", "web"):
        quick_ok(envkeep, "set", f"WORKERS={BAD_WORKERS}", "CACHE_TTL=60", "-e", "dev",
                 "-s", service)  # fmt: skip
    before = [stored(envkeep, "dev", scope) for scope in (None, "worker", "web")]

    result = envkeep("lift", "CACHE_TTL", "WORKERS", "--env", "dev", "--yes")

    assert_refused(result, "api", "WORKERS", "type", BAD_WORKERS)
    assert [stored(envkeep, "dev", scope) for scope in (None, "worker", "web")] == before


def test_share_with_no_validate_writes_what_a_schema_refuses(
    envkeep: Envkeep, config_tree: Path
) -> None:
    for service in ("worker", "web"):
        quick_ok(envkeep, "set", f"WORKERS={BAD_WORKERS}", "-e", "dev", "-s", service)

    result = envkeep("lift", "WORKERS", "--env", "dev", "--yes", "--no-validate")

    assert result.code == 0, result.describe()
    assert stored(envkeep, "dev")["WORKERS"] == (BAD_WORKERS, 1)
    assert "WORKERS" not in stored(envkeep, "dev", "web")
