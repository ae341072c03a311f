"""A save that takes the kept copies' lock only after a refusal's deletion is done drops its
answer when the request was sent before the refusal: the deletion records its time, by its
scope (environment, project, workspace). Before, that answer was kept and served the refused
values offline. An answer asked for after the refusal is kept; a refusal of another scope, or
recorded ahead of a clock set back since, drops nothing."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

import pytest

from envkeep.client.offline import SnapshotCache
from tests.test_offline_copy_order import ENV, Clock, _snapshot

if TYPE_CHECKING:
    from pathlib import Path

# The refusal, in a process of its own (another command): argv[1] the copies' directory,
# argv[2] what was refused.
REFUSING = """\
import sys
from pathlib import Path
from envkeep.client.offline import SnapshotCache
cache = SnapshotCache(Path(sys.argv[1]))
{"environment": lambda: cache.forget(sys.argv[3]),
 "workspace": lambda: cache.forget_workspace("ws"),
 "project": lambda: cache.forget_project("ws", "shop")}[sys.argv[2]]()
"""

SCOPES = ["environment", "workspace", "project"]


def _of(revision: int, workspace: str = "ws", project: str = "shop") -> dict[str, Any]:
    return {**_snapshot(revision, []), "project": {"workspace_id": workspace, "name": project}}


def _refuse(directory: Path, scope: str) -> None:
    subprocess.run(
        [sys.executable, "-c", REFUSING, str(directory), scope, ENV], check=True, timeout=60
    )


@pytest.mark.parametrize("scope", SCOPES)
def test_an_answer_asked_for_before_a_refusal_and_saved_after_it_is_not_kept(
    tmp_path: Path, scope: str
) -> None:
    cache = SnapshotCache(tmp_path / "snapshots")
    cache.save(ENV, None, _of(4))
    sent_at = time.time()  # the read's request goes out; the refusal comes before its save
    _refuse(cache.directory, scope)
    cache.save(ENV, None, _of(5), sent_at=sent_at)

    assert not cache.holds_copies(ENV)


@pytest.mark.parametrize("scope", SCOPES)
def test_an_answer_asked_for_after_a_refusal_is_kept(tmp_path: Path, scope: str) -> None:
    cache = SnapshotCache(tmp_path / "snapshots")
    _refuse(cache.directory, scope)
    cache.save(ENV, None, _of(5), sent_at=time.time())

    assert cache.whole_copy(ENV)["environment"]["revision"] == 5


def test_a_refusal_of_another_workspace_or_project_drops_nothing(tmp_path: Path) -> None:
    clock = Clock()
    cache = SnapshotCache(tmp_path / "snapshots", clock=clock)
    sent_at = clock.now
    clock.tick()
    cache.forget_workspace("other")
    cache.forget_project("ws", "billing")
    cache.forget(ENV.replace("/dev/", "/prod/"))
    clock.tick()
    cache.save(ENV, None, _of(5), sent_at=sent_at)

    assert cache.whole_copy(ENV)["environment"]["revision"] == 5


def test_a_refusal_recorded_ahead_of_a_clock_set_back_drops_nothing(tmp_path: Path) -> None:
    clock = Clock()
    cache = SnapshotCache(tmp_path / "snapshots", clock=clock)
    cache.forget_workspace("ws")
    clock.now -= 3600  # the clock set back an hour: every request now is "before" it
    sent_at = clock.tick()
    clock.tick()
    cache.save(ENV, None, _of(5), sent_at=sent_at)

    assert cache.whole_copy(ENV)["environment"]["revision"] == 5
