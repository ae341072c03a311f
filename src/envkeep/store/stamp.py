"""The embedded store's change stamp: one cheap query whose answer changes with every commit
that changes anything, for `envkeep run`'s cache of resolved environments.

Every change to the store appends an audit event in its own transaction (DESIGN §5), so the
newest event's id and hash, with the schema revision, tell whether anything was committed since
the stamp was taken. Reads do not append events on the embedded store, so they leave it alone.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not typing's: see envkeep/crypto/__init__.py
if TYPE_CHECKING:
    from typing import TypeAlias

    Stamp: TypeAlias = tuple[str, int, str]

_QUERY = (
    "SELECT (SELECT group_concat(version_num) FROM alembic_version),"
    " (SELECT max(id) FROM audit_events),"
    " (SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1)"
)


def change_stamp(database: str) -> Stamp | None:
    """The stamp of the database file at ``database``; None when there is no usable one."""
    if not os.path.isfile(database):
        return None
    # The stdlib sqlite3 module's own engine, without its DB-API wrapper (datetime and the
    # rest: about 1.5 ms of every warm run).
    import _sqlite3

    try:
        # Not mode=ro, as in sqlite_fetch.py: a read-only connection cannot recreate the -shm
        # file of a WAL database that the last writer closed. Nothing is written through it.
        connection = _sqlite3.connect(database, isolation_level=None)
        try:
            revision, newest, digest = connection.execute(_QUERY).fetchone()
        finally:
            connection.close()
    except _sqlite3.Error:
        return None
    if revision is None:
        return None
    return (str(revision), int(newest or 0), str(digest or ""))
