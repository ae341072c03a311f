"""Deleting one workspace's or project's kept copies finds them by the marks a save leaves in
each environment's folder (`kept_scopes`), reading no copy: it read and parsed every copy of
every environment, under the lock every save waits on. A folder kept before the marks (no mark)
is still read, and deleted when its copy is of that workspace."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from envkeep.client import offline
from envkeep.client.offline import SnapshotCache
from tests.test_offline_copy_order import _snapshot

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from envkeep.client.kept_copy import KeptCopy

FORGETS: dict[str, Callable[[SnapshotCache], None]] = {
    "workspace": lambda cache: cache.forget_workspace("ws"),
    "project": lambda cache: cache.forget_project("ws", "shop"),
}


def _path(workspace: str, project: str, env: str) -> str:
    return f"/v1/workspaces/{workspace}/projects/{project}/environments/{env}/snapshot"


def _of(workspace: str, project: str) -> dict[str, Any]:
    return {**_snapshot(3, []), "project": {"workspace_id": workspace, "name": project}}


def _kept(cache: SnapshotCache) -> set[str]:
    """The environments (workspace/project/env) a copy is kept of, of those saved here."""
    saved = [(w, p, e) for w in ("ws", "other") for p in ("shop", "tools") for e in ("dev", "prod")]
    return {"/".join(key) for key in saved if cache.holds_copies(_path(*key))}


def _save_all(cache: SnapshotCache) -> None:
    for workspace in ("ws", "other"):
        for project in ("shop", "tools"):
            for env in ("dev", "prod"):
                cache.save(_path(workspace, project, env), None, _of(workspace, project))


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Each copy file read from now on."""
    read: list[Path] = []
    real = offline._read

    def counted(path: Path) -> KeptCopy | None:
        read.append(path)
        return real(path)

    monkeypatch.setattr(offline, "_read", counted)
    return read


@pytest.mark.parametrize("forget", FORGETS.values(), ids=FORGETS.keys())
def test_a_workspace_or_project_is_forgotten_without_reading_any_copy(
    tmp_path: Path, reads: list[Path], forget: Callable[[SnapshotCache], None]
) -> None:
    cache = SnapshotCache(tmp_path / "snapshots")
    _save_all(cache)
    reads.clear()

    forget(cache)

    assert reads == []
    left = _kept(cache)
    assert not any(k.startswith("ws/shop/") for k in left)
    assert "other/shop/dev" in left
    assert ("ws/tools/dev" in left) == (forget is FORGETS["project"])


def test_a_copy_kept_before_the_marks_is_read_and_forgotten(
    tmp_path: Path, reads: list[Path]
) -> None:
    cache = SnapshotCache(tmp_path / "snapshots")
    _save_all(cache)
    for mark in cache.directory.glob("*/.scope-*"):
        mark.unlink()  # as an envkeep from before the marks left them
    reads.clear()

    cache.forget_workspace("ws")

    assert len(reads) == 8  # every copy: none is marked
    assert _kept(cache) == {f"other/{p}/{e}" for p in ("shop", "tools") for e in ("dev", "prod")}
