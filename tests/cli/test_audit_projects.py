"""`envkeep audit --project` on both backends: the embedded store's one user, the workspace's
admin, and a team server's workspace admin each read every event by default (a checkout's
project limits nothing for them), and one project's events with `--project`; every event
names its project in its hashed details as in its ``project_id``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep


def _events(envkeep: Envkeep, *args: str, cwd: Path | None = None) -> list[dict[str, object]]:
    done = envkeep("audit", "--json", "--limit", "0", *args, cwd=cwd)
    assert done.code == 0, done.describe()
    found: list[dict[str, object]] = json.loads(done.stdout)
    return found


def test_the_workspace_admin_reads_every_event_and_one_projects_with_project(
    envkeep: Envkeep, seeded: Path
) -> None:
    blog = envkeep.cwd.parent / "blog"
    blog.mkdir()
    done = envkeep("init", "blog", cwd=blog)
    assert done.code == 0, done.describe()

    every = _events(envkeep)
    shop = _events(envkeep, "--project", "shop")
    other = _events(envkeep, "--project", "blog", cwd=blog.parent)
    plain = envkeep("audit", "--limit", "0")

    assert "events only" not in plain.stderr  # nothing was left out
    assert {e["target"] for e in shop if e["action"] == "project.create"} == {"shop"}
    assert {e["target"] for e in other if e["action"] == "project.create"} == {"blog"}
    assert "secrets.write" in {e["action"] for e in shop}
    assert len({e["project_id"] for e in shop}) == len({e["project_id"] for e in other}) == 1
    assert [e["seq"] for e in shop] == [
        e["seq"] for e in every if e["project_id"] == shop[0]["project_id"]
    ]
    assert None in {e["project_id"] for e in every}  # the workspace's own (its creation)
    # Each names its project in its details too (hashed: what an older envkeep verifies),
    # the workspace's own a null one.
    for event in every:
        assert json.loads(str(event["details"]))["project_id"] == event["project_id"]
    assert len(shop) + len(other) < len(every)
