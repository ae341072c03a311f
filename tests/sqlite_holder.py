"""Another process holding a SQLite file's lock, as a sqlite3 shell or a backup script left in
a transaction does: for the tests of what a real server does meanwhile."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

# Takes the lock, says "locked" once it holds it, and holds it until its stdin closes.
_HOLDER = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN " + sys.argv[2])
print("locked", flush=True)
sys.stdin.read()
connection.execute("ROLLBACK")
"""


@contextlib.contextmanager
def locked(database: Path, kind: Literal["IMMEDIATE", "EXCLUSIVE"] = "EXCLUSIVE") -> Iterator[None]:
    """``database`` under another process's lock while the block runs: ``EXCLUSIVE`` keeps
    readers out too, ``IMMEDIATE`` only writers."""
    with subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(database), kind],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        assert holder.stdout is not None
        assert holder.stdin is not None
        assert holder.stdout.readline() == "locked\n"
        yield
        holder.stdin.close()  # the lock goes
