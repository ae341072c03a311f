"""A lift refused because the services differ over a name is said in one wording, from one
place (`shared_values.refusal`), whether the lift writes, is a dry run, or prints --json:
the dry run and --json said "not lifted, the services differ: NAME" where the lift said
"NAME differs between services in 'dev': …", two wordings of one refusal.

They run on the ``shop`` project (services api and worker), on each backend.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .schema_refusals import set_in, stored

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

LOUD, QUIET = "debug-x71", "warn-x72"


def test_a_lift_its_dry_run_and_its_json_refuse_a_differing_name_alike(
    envkeep: Envkeep, project: Path
) -> None:
    set_in(envkeep, "api", f"LOG_LEVEL={LOUD}", "PORT=1", "REDIS_URL=r")
    set_in(envkeep, "worker", f"LOG_LEVEL={QUIET}", "PORT=2", "REDIS_URL=r")
    names = ("REDIS_URL", "LOG_LEVEL", "PORT")

    ran = [
        envkeep("lift", *names, "--env", "dev", *extra)
        for extra in (("--yes",), ("--dry-run",), ("--json", "--yes"), ("--json", "--dry-run"))
    ]

    said = (
        "error: LOG_LEVEL differs between services in 'dev': api: value 1; worker: value 2"
        " (so do 1 more: PORT); nothing was written"
    )
    for result in ran:
        assert result.code == 2, result.describe()
        assert [line for line in result.err_lines if line.startswith("error:")] == [said]
        assert not {LOUD, QUIET} & set(result.stderr.split())
    assert "REDIS_URL" not in stored(envkeep, "dev")
