"""The database both write floors fill: raw sqlite3's rows (``server-writes``' baseline) and the
hello-world's ``POST /rows`` (``server-writes-floor``), one row a write of one variable, opened
alike (WAL, synchronous=FULL, as the server opens SQLite). ``server-writes-default-journal``'s
baseline opens it as ``sqlite3.connect`` leaves it (rollback journal, synchronous=FULL)."""

import sqlite3
from pathlib import Path

ROW_TABLE = """
CREATE TABLE IF NOT EXISTS secret_version (
    id TEXT PRIMARY KEY,
    environment_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    name_index BLOB NOT NULL,
    name_ct BLOB NOT NULL,
    value_ct BLOB NOT NULL,
    signature BLOB NOT NULL,
    created_at TEXT NOT NULL
)
"""


def connect(path: str | Path, *, wal: bool = True) -> sqlite3.Connection:
    """The rows' database at ``path``, its table made if need be; ``wal=False``: with sqlite3's
    own defaults (a rollback journal, deleted at each commit)."""
    database = sqlite3.connect(path)
    if wal:
        database.execute("PRAGMA journal_mode=WAL")
        database.execute("PRAGMA synchronous=FULL")
    else:  # left as sqlite3 opens a new file: say so where a build or an old file differs
        (journal,) = database.execute("PRAGMA journal_mode").fetchone()
        (synchronous,) = database.execute("PRAGMA synchronous").fetchone()
        if (journal, synchronous) != ("delete", 2):
            raise RuntimeError(f"{path}: journal_mode={journal}, synchronous={synchronous}")
    database.execute(ROW_TABLE)
    database.commit()
    return database
