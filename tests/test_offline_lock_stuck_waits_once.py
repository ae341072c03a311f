"""A command that keeps copies of several environments (activate-all, validate over many)
waits for a stuck holder of the kept copies' lock once, not once per environment: after one
save gave up, the others try the lock once and go on."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import TYPE_CHECKING

from envkeep.client.offline import LOCK_WAIT_SECONDS, SnapshotCache
from tests.test_offline_copy_order import _snapshot

if TYPE_CHECKING:
    from pathlib import Path

HOLDER = """\
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(600)
"""


def test_saves_after_one_that_gave_up_on_a_stuck_lock_do_not_wait_again(tmp_path: Path) -> None:
    cache = SnapshotCache(tmp_path / "snapshots")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / "snapshots.lock")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "held\n"
        began = time.monotonic()
        for name in ("dev", "staging", "prod"):
            cache.save(
                f"/v1/workspaces/ws/projects/shop/environments/{name}/snapshot",
                None,
                _snapshot(1, []),
            )
        took = time.monotonic() - began
    finally:
        holder.kill()
        holder.communicate()
    assert LOCK_WAIT_SECONDS <= took < LOCK_WAIT_SECONDS + 1, took
    assert not list(cache.directory.rglob("*.json"))  # none kept: the lock was never had
