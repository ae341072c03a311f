"""SQLite's write lock as the server meets it: what SQLite says once another connection held
it past the busy timeout (`busy_timeout`), and a shorter wait for one statement that must
answer sooner (`/readyz`, within a probe's budget).

In a server, "database is locked" mostly means another process holds the file: the server's
own writers queue for the lock (BEGIN IMMEDIATE) and get it well within the busy timeout. A
sqlite3 shell or a backup script left in a transaction is the usual holder. But a shorter wait
(`/readyz`'s) can give up on a long write of the server's own: `own_writes` tells which."""

from __future__ import annotations

import contextlib
import sqlite3
from typing import TYPE_CHECKING

from envkeep.store.busy_timeout import BUSY_TIMEOUT_MS

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy import Connection

LOCKED = "database is locked"  # SQLITE_BUSY's message, the driver's error's first line
# What a server says instead when the lock it gave up on was its own write's (`own_writes`).
OWN_LOCKED = f"{LOCKED} by this server's own write"


def is_locked(said: str) -> bool:
    """Whether the database's answer ``said`` is SQLite's: another holds the write lock."""
    return said.startswith(LOCKED)


def is_own_write(said: str) -> bool:
    """Whether ``said`` is `OWN_LOCKED`: the lock was this server's own write's."""
    return said.startswith(OWN_LOCKED)


@contextlib.contextmanager
def lock_wait(connection: Connection, seconds: float | None) -> Iterator[None]:
    """While the block runs, ``connection`` (SQLite's; any other is left as it is) waits at
    most ``seconds`` for another's write lock, then fails with `LOCKED`; the busy timeout
    again after (None: the busy timeout throughout). Entered before the block's first
    statement, which begins its transaction (BEGIN IMMEDIATE: the wait is there)."""
    if seconds is None or connection.dialect.name != "sqlite":
        yield
        return
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute(f"PRAGMA busy_timeout={round(seconds * 1000)}")
    try:
        yield
    finally:
        try:
            driver.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        except sqlite3.Error:  # not back to the pool with the short wait: dropped from it
            connection.invalidate()
