"""Deleting kept copies after a refusal (`forget`, `forget_workspace`, `forget_project`) holds
the lock a save holds: a save under way, of a read answered just before the refusal, writes its
copy before the deletion, which then takes it. Without the lock the deletion ran first and the
copy written after it served the refused values offline. A lock held by a stuck process is
waited for once (`LOCK_WAIT_SECONDS`), and the copies are deleted all the same."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pytest

from envkeep.client import offline
from envkeep.client.offline import SnapshotCache
from envkeep.core import files
from tests.test_offline_copy_order import ENV, _snapshot

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

# Holds the lock argv[1]; on a line from stdin writes argv[3] (a copy's JSON body) to argv[2],
# as a save holding the lock does, then lets the lock go (it exits).
SAVING = """\
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.readline()
os.makedirs(os.path.dirname(sys.argv[2]), exist_ok=True)
with open(sys.argv[2], "w") as out:
    out.write(sys.argv[3])
"""

HOLDER = """\
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(600)
"""

FORGETS: dict[str, Callable[[SnapshotCache], None]] = {
    "environment": lambda cache: cache.forget(ENV),
    "workspace": lambda cache: cache.forget_workspace("ws"),
    "project": lambda cache: cache.forget_project("ws", "shop"),
}


def _of_shop(revision: int) -> dict[str, Any]:
    return {**_snapshot(revision, []), "project": {"workspace_id": "ws", "name": "shop"}}


def _body(revision: int) -> str:
    return json.dumps({"fetched_at": time.time(), "services": None, "snapshot": _of_shop(revision)})


@pytest.fixture
def attempted(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Set when a deletion asks for the lock (the real one: this only tells the test)."""
    asked = threading.Event()
    real = files.exclusive

    def exclusive(path: Path, *, within: float | None = None) -> Any:
        asked.set()
        return real(path, within=within)

    monkeypatch.setattr("envkeep.client.offline.exclusive", exclusive)
    return asked


def _holding(script: str, lock: Path, *args: str) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", script, str(lock), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline() == "held\n"
    return holder


@pytest.mark.parametrize("forget", FORGETS.values(), ids=FORGETS.keys())
def test_a_copy_a_save_was_writing_when_the_refusal_came_is_deleted(
    tmp_path: Path, attempted: threading.Event, forget: Callable[[SnapshotCache], None]
) -> None:
    cache = SnapshotCache(tmp_path / "snapshots")
    cache.save(ENV, None, _of_shop(4))  # kept by an earlier read
    attempted.clear()  # that save asked for the lock: the deletion's ask is awaited
    path = cache._path(ENV, None)
    saving = _holding(SAVING, tmp_path / "snapshots.lock", str(path), _body(5))

    def deleting() -> None:
        try:
            forget(cache)
        finally:
            attempted.set()  # done without asking for the lock: the save may go on

    refused = threading.Thread(target=deleting)
    refused.start()
    attempted.wait(timeout=30)
    saving.communicate("go\n", timeout=30)  # its copy written, the lock let go
    refused.join(timeout=30)

    assert not refused.is_alive()
    assert not cache.holds_copies(ENV)


@pytest.mark.parametrize("forget", FORGETS.values(), ids=FORGETS.keys())
def test_copies_are_deleted_when_a_stuck_process_holds_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forget: Callable[[SnapshotCache], None]
) -> None:
    monkeypatch.setattr(offline, "LOCK_WAIT_SECONDS", 0.5)
    cache = SnapshotCache(tmp_path / "snapshots")
    cache.save(ENV, None, _of_shop(4))
    with _stuck(tmp_path / "snapshots.lock"):
        began = time.monotonic()
        forget(cache)
        first = time.monotonic() - began
        cache.save(ENV, None, _of_shop(5))  # not kept: the lock is stuck
        began = time.monotonic()
        forget(cache)  # the lock was found stuck: tried once
        again = time.monotonic() - began

    assert not cache.holds_copies(ENV)
    assert 0.5 <= first < 1.5, first
    assert again < 0.5, again


@contextmanager
def _stuck(lock: Path) -> Iterator[None]:
    """A process holding ``lock`` until the test ends (stopped mid-save)."""
    holder = _holding(HOLDER, lock)
    try:
        yield
    finally:
        holder.kill()
        holder.communicate()
