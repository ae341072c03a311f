"""A read against a server is not held up by the lock of the copies kept for reads offline:
another process holding it (stopped with Ctrl-Z in the middle of a save, or stuck on a network
file system) leaves this read's copy unkept after a short wait, and the read answers."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import TYPE_CHECKING

from .conftest import quick_ok, server_only

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep, Homes

# Holds an exclusive flock on argv[1] until killed; says "held" once it does.
HOLDER = """\
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(600)
"""


def _held(lock: Path) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lock)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None
    assert holder.stdout.readline() == "held\n"
    return holder


def test_a_read_answers_while_another_process_holds_the_kept_copies_lock(
    envkeep: Envkeep, homes: Homes, project: Path
) -> None:
    server_only(homes, "the copies kept for reads offline are a team server's")
    quick_ok(envkeep, "set", "LOG_LEVEL=info", "--env", "dev")
    quick_ok(envkeep, "get", "LOG_LEVEL", "--env", "dev")  # keeps a copy: the lock file is made
    [lock] = envkeep.home.rglob("snapshots.lock")
    holder = _held(lock)
    try:
        began = time.monotonic()
        read = envkeep("get", "LOG_LEVEL", "--env", "dev", timeout=30)
        took = time.monotonic() - began
    finally:
        holder.kill()
        holder.communicate()
    assert (read.code, read.stdout) == (0, "info\n"), read.describe()
    assert took < 10, took
