"""Whether a SQLite file's write lock is held by a connection of this process's own.

A server's every transaction on SQLite begins with BEGIN IMMEDIATE (`store.engine`, the group
commit's), so a connection of its engines that is in a transaction holds the file's one write
lock: SQLite lets no other connection, of this process or another, hold it meanwhile. When a
statement gives up on the lock ("database is locked", `lock_wait`), this tells a long write of
the server's own (a large import, a key rotation) from another process's (a sqlite3 shell, a
backup script left in a transaction), which only the second's words may blame.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import TYPE_CHECKING, Any

from sqlalchemy import event

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlalchemy import Engine


class OwnWrites:
    """The SQLite connections of ``engines`` (others' are not SQLite: nothing to watch), as
    their pools open and close them."""

    def __init__(self, engines: Iterable[Engine]) -> None:
        self._lock = threading.Lock()
        self._connections: dict[int, sqlite3.Connection] = {}
        for engine in engines:
            if engine.dialect.name == "sqlite":
                event.listen(engine, "connect", self._opened)
                event.listen(engine, "close", self._closed)
                event.listen(engine, "close_detached", self._closed_detached)

    def holding(self) -> bool:
        """Whether one of the connections is in a transaction now: it holds the write lock."""
        with self._lock:
            connections = list(self._connections.values())
        return any(_in_transaction(connection) for connection in connections)

    def _opened(self, connection: Any, _record: Any) -> None:
        if isinstance(connection, sqlite3.Connection):
            with self._lock:
                self._connections[id(connection)] = connection

    def _closed(self, connection: Any, _record: Any) -> None:
        self._closed_detached(connection)

    def _closed_detached(self, connection: Any) -> None:
        with self._lock:
            self._connections.pop(id(connection), None)


def _in_transaction(connection: sqlite3.Connection) -> bool:
    try:
        return connection.in_transaction
    except sqlite3.ProgrammingError:  # closed without the pool's event (an invalidation)
        return False
