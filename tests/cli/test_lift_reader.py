"""`share` from a caller who may only read the environment (a read-role token) is refused for
its role, as every write is (`test_read_only_writes`): exit 4, naming the role it needs, before
the plan is shown or what it would write is checked; `--suggest` only reads, and answers.

They run on the configuration project (config_fixtures): worker and web set WORKERS alike to a
value api's schema refuses (api would see it), and CACHE_TTL alike to one it accepts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .config_fixtures import (
    config_template_fixture,  # noqa: F401 - a fixture, requested by name
    config_tree_fixture,  # noqa: F401 - a fixture, requested by name
)
from .conftest import quick_ok, server_only
from .schema_refusals import stored

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep, Homes

BAD_WORKERS = "many-workers-x41"


def _reader(envkeep: Envkeep, homes: Homes, tmp_path: Path) -> dict[str, str | None]:
    """A read-role token on the project, used from a home of its own (no login there)."""
    assert homes.server is not None
    made = ("token", "create", "ci-read", "--project", "shop", "--role", "read")
    return {
        "ENVKEEP_TOKEN": quick_ok(envkeep, *made).stdout.strip(),
        "ENVKEEP_SERVER": homes.server.url,
        "ENVKEEP_HOME": str(tmp_path / "read-home"),
    }


def test_a_reader_sharing_is_refused_for_its_role_before_the_plan_or_any_check(
    envkeep: Envkeep, config_tree: Path, homes: Homes, tmp_path: Path
) -> None:
    server_only(homes, "roles below admin exist on a team server only")
    for service in ("worker", "web"):
        quick_ok(envkeep, "set", f"WORKERS={BAD_WORKERS}", "CACHE_TTL=60", "-e", "dev",
                 "-s", service)  # fmt: skip
    before = [stored(envkeep, "dev", scope) for scope in (None, "worker", "web")]
    reader = _reader(envkeep, homes, tmp_path)

    refused = envkeep("lift", "WORKERS", "--env", "dev", "--yes", env=reader)
    plain = envkeep("lift", "CACHE_TTL", "--env", "dev", "--yes", env=reader)
    dry = envkeep("lift", "CACHE_TTL", "--env", "dev", "--dry-run", env=reader)
    suggested = envkeep("lift", "--suggest", "--env", "dev", env=reader)

    for result in (refused, plain, dry):
        said = [line for line in result.err_lines if not line.startswith("note:")]
        assert result.code == 4, result.describe()
        assert said[0] == (
            "error: you need the write role on environment shop/dev (you have: read there)"
        ), result.describe()
        assert result.stdout == "", result.describe()  # no plan shown to a reader
        assert BAD_WORKERS not in result.stderr
    assert suggested.code == 0, suggested.describe()
    assert "CACHE_TTL: web, worker hold one value" in suggested.stdout, suggested.describe()
    assert [stored(envkeep, "dev", scope) for scope in (None, "worker", "web")] == before
