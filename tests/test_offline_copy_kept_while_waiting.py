"""A copy another process keeps while this save waits for the lock is kept before this one:
its time is read once the lock is held. Read before, a newer copy kept meanwhile looked kept
"after now" (`kept_copy.overlapped`), and the older answer waiting for the lock replaced it."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING

from envkeep.client.offline import SnapshotCache
from tests.test_offline_copy_order import DOWN, ENV, _snapshot

if TYPE_CHECKING:
    from pathlib import Path

# Holds the lock argv[1]; on a line from stdin writes argv[3] (a copy's JSON body, its time
# now) to argv[2], as a save holding the lock does, then lets the lock go (it exits).
SAVING = """\
import fcntl, json, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.readline()
body = json.loads(sys.argv[3])
body["fetched_at"] = time.time()
with open(sys.argv[2], "w") as out:
    json.dump(body, out)
"""


def test_a_newer_copy_kept_while_a_save_waited_for_the_lock_stays(tmp_path: Path) -> None:
    cache = SnapshotCache(tmp_path / "snapshots")
    path = cache._path(ENV, None)
    path.parent.mkdir(parents=True)
    sent_at = time.time()  # both reads' requests are out: they overlap
    newer = json.dumps({"fetched_at": 0, "services": None, "snapshot": _snapshot(6, [])})
    other = subprocess.Popen(
        [sys.executable, "-c", SAVING, str(tmp_path / "snapshots.lock"), str(path), newer],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert other.stdout is not None
    assert other.stdout.readline() == "held\n"
    waiting = threading.Thread(
        target=cache.save, args=(ENV, None, _snapshot(5, [])), kwargs={"sent_at": sent_at}
    )
    waiting.start()
    time.sleep(0.2)  # the save waits for the lock
    other.communicate("go\n", timeout=30)
    waiting.join(timeout=30)
    assert not waiting.is_alive()

    assert cache.load(ENV, None, DOWN)["environment"]["revision"] == 6
