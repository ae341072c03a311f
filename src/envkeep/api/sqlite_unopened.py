"""Why a SQLite file could not be opened, as an error says it: not a host, a user and a
password, which it has none of, and a hint that fits what SQLite said.

A file in WAL mode is opened, even read-only (`server copy`'s source), with its ``-shm`` file
beside it, which SQLite makes in the file's directory when it is not there: a directory this
user cannot write (a read-only mount, another owner's, an immutable one) makes it fail with
"unable to open database file", though the file itself is readable. Only that message is about
the file's path or its permissions: a file that is not a database (or a damaged one), or one
another process holds locked, was told to check that this user could read it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, NamedTuple

from envkeep.store.database_url import sqlite_file
from envkeep.store.lock_wait import is_locked

if TYPE_CHECKING:
    from pathlib import Path

# What SQLite says of a file that is no SQLite database, or a damaged one (a DatabaseError,
# not an OperationalError, from the sqlite3 driver).
NOT_A_DATABASE = ("file is not a database", "database disk image is malformed")

# What to do of a file another process holds locked once the server runs: its log's first
# line of the outage (`outage_log`) and /readyz say it; a start is told the same in short.
HELD_LOCKED = (
    "another process holds the database file locked (a sqlite3 shell, a backup script left"
    " in a transaction): stop that process or end its transaction"
)


class Unopened(NamedTuple):
    why: str  # appended to "cannot open the database …: <what SQLite said>"
    hint: str


def sqlite_unopened(database_url: str, given: str, said: str) -> Unopened | None:
    """What to say of a SQLite database that could not be opened, SQLite having said ``said``;
    None: not a SQLite file. ``given``: where its URL came from, as a hint names it."""
    path = sqlite_file(database_url)
    if path is None:
        return None
    if said.startswith(NOT_A_DATABASE):
        return Unopened(
            "",
            f"check that {given} names envkeep's database file; if it is, the file is damaged:"
            " restore it from a backup (docs/deploy.md, 'Backups and restore')",
        )
    if is_locked(said):
        return Unopened(
            "", "another process holds it locked: stop that process (or wait), then run again"
        )
    if said.startswith("unable to open database file"):
        return _unable_to_open(path, given)
    return Unopened("", f"check {given} and the file {path}")


def _unable_to_open(path: Path, given: str) -> Unopened:
    directory = path.parent
    if directory.is_dir() and not os.access(directory, os.W_OK):
        return Unopened(
            f"; its directory {directory} cannot be written by this user, and SQLite makes the"
            " database's -wal and -shm files there",
            f"copy the file somewhere this user can write (cp {path}* DIR/) and give {given}"
            f" that path, or run envkeep as the user that owns {directory}",
        )
    return Unopened("", f"check {given}: the file's path, and that this user can read it")
