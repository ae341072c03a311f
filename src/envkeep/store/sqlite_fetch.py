"""Access to an embedded database with the stdlib sqlite3 module.

``envkeep run`` and the other read commands use it so that they need not import SQLAlchemy
(about 200 ms); they run the same SQL (``app.reads``) through the ``app.ports.Fetch`` port.
A batch of variable writes (`set`, `unset`, `edit`, `import`) runs its driver SQL here too, in
a ``write`` transaction with the pragmas the engine sets (`store.engine`). A database that is
missing or not at the head revision yields None: the caller then opens it the full way, which
runs the migrations.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from envkeep.core.errors import StoreError
from envkeep.store.schema_version import HEAD_REVISION

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from pathlib import Path


class SqliteFetch:
    """A ``Fetch`` over one read-only sqlite3 connection; ``refused``: the error every
    ``write`` raises instead (a store opened for reads alone, on a full disk)."""

    def __init__(self, connection: sqlite3.Connection, refused: StoreError | None = None) -> None:
        self._connection = connection
        self._refused = refused

    def __call__(self, sql: str, params: Mapping[str, Any]) -> Sequence[Sequence[Any]]:
        return self._connection.execute(sql, dict(params)).fetchall()

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Run the enclosed reads in one read transaction: one consistent view."""
        self._connection.execute("BEGIN")
        try:
            yield
        finally:
            self._connection.execute("COMMIT")

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``: writers queue for the lock, up to the
        busy timeout), committed when the block ends, rolled back if it raises."""
        if self._refused is not None:
            raise self._refused
        connection = self._connection
        for pragma in _WRITE_PRAGMAS:
            connection.execute(pragma)
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
            connection.execute("COMMIT")
        except BaseException:
            # SQLite may have rolled back already (a full disk, an I/O error): then a
            # ROLLBACK would fail and hide the error that matters. A failed COMMIT leaves
            # the transaction open, holding the lock: it ends here too.
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self._connection.close()


# What `store.engine` sets on every connection it opens (WAL is the file's own setting).
_WRITE_PRAGMAS = ("PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON")


def open_fetch(path: Path) -> SqliteFetch | None:
    """A fetch over the database at ``path``, or None if it is missing or stale."""
    if not path.exists():
        return None
    # Not opened with mode=ro: a read-only connection cannot recreate a WAL database's -shm
    # file after the last writer closed it. Nothing writes through this connection.
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA busy_timeout=10000")
        rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.OperationalError as error:
        connection.close()
        if str(error).startswith("no such table"):  # no alembic_version: not migrated yet
            return None
        # A full disk (no room for the -shm file: "disk I/O error"), a lock held past the
        # timeout: the file is fine, and migrating it, or moving it away, is not the way on.
        unopened = StoreError(
            f"the embedded database {path} could not be opened ({error})",
            hint=_unopened_hint(path),
        )
        # Only that I/O error: under a held lock another process writes, and a connection
        # that takes no locks could read its pages half-written.
        if "disk I/O error" in str(error) and _disk_full(path):
            return _read_only(path, unopened)
        raise unopened from None
    except sqlite3.DatabaseError as error:
        connection.close()
        raise StoreError(
            f"{path} is not a usable envkeep database ({error})",
            hint="restore it from a backup, or move it away to start with an empty store",
        ) from None
    if [r[0] for r in rows] != [HEAD_REVISION]:
        connection.close()
        return None
    return SqliteFetch(connection)


def _read_only(path: Path, unopened: StoreError) -> SqliteFetch:
    """The store at ``path`` opened for reads alone, its writes refused with ``unopened``:
    where a full disk leaves no room for the -shm file, an immutable connection needs none.
    Only when no -wal file holds changes its main file lacks (the last connection to close
    checkpoints them in and deletes it), or reads would miss them."""
    wal = path.with_name(f"{path.name}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise unopened
    connection = sqlite3.connect(f"file:{path}?immutable=1", uri=True, isolation_level=None)
    try:
        rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.DatabaseError:
        connection.close()
        raise unopened from None
    if [r[0] for r in rows] != [HEAD_REVISION]:  # an upgrade writes: it must wait for room
        connection.close()
        raise unopened
    return SqliteFetch(connection, refused=unopened)


def _disk_full(path: Path) -> bool:
    import shutil

    try:
        return shutil.disk_usage(path.parent).free < _ROOM_TO_OPEN
    except OSError:
        return False


def _unopened_hint(path: Path) -> str:
    """What to do about a database that exists but does not open; it is left as it was."""
    full = _disk_full(path)
    again = "then run the command again"
    if full:
        return f"the disk holding {path.parent} is full: free some space, {again}"
    return f"check that {path.parent} can be written and its disk is not full, {again}"


# Below this, SQLite may find no room for a WAL database's -shm and -wal files.
_ROOM_TO_OPEN = 1 << 20
