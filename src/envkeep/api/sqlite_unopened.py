"""Why a SQLite file could not be opened, as an error says it: not a host, a user and a
password, which it has none of.

A file in WAL mode is opened, even read-only (`server copy`'s source), with its ``-shm`` file
beside it, which SQLite makes in the file's directory when it is not there: a directory this
user cannot write (a read-only mount, another owner's, an immutable one) makes it fail with
"unable to open database file", though the file itself is readable.
"""

from __future__ import annotations

import os
from typing import NamedTuple

from envkeep.store.database_url import sqlite_file


class Unopened(NamedTuple):
    why: str  # appended to "cannot open the database …: <what SQLite said>"
    hint: str


def sqlite_unopened(database_url: str, given: str) -> Unopened | None:
    """What to say of a SQLite database that could not be opened; None: not a SQLite file.
    ``given``: where its URL came from, as a hint names it."""
    path = sqlite_file(database_url)
    if path is None:
        return None
    directory = path.parent
    if directory.is_dir() and not os.access(directory, os.W_OK):
        return Unopened(
            f"; its directory {directory} cannot be written by this user, and SQLite makes the"
            " database's -wal and -shm files there",
            f"copy the file somewhere this user can write (cp {path}* DIR/) and give {given}"
            f" that path, or run envkeep as the user that owns {directory}",
        )
    return Unopened("", f"check {given}: the file's path, and that this user can read it")
