"""An online, consistent copy of a server's SQLite database (`envkeep server backup`).

Copying the file of a live server misses what is still in its write-ahead log (``-wal``):
committed transactions live there until a checkpoint. SQLite's backup API reads the database
as one transaction sees it, the log included, while the server goes on writing (in WAL mode a
reader blocks no writer). The copy is made in one step, so it is one consistent snapshot; a
copy made page by page restarts whenever the server writes, and might never finish.

The copy goes to a temporary file beside the output (0600), is switched out of WAL mode so
that it is one self-contained file, is checked (``PRAGMA integrity_check``, and the schema
revision it holds equals the live database's), and only then renamed into place.
(`api.backups` takes a database URL, and refuses PostgreSQL.)
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from envkeep.core.errors import StoreError, UsageError
from envkeep.core.files import refuse_existing
from envkeep.store.busy_timeout import BUSY_TIMEOUT_MS


@dataclass(frozen=True)
class Backup:
    """A verified copy: where it is, the schema revision it holds and its size in bytes."""

    path: Path
    revision: str
    size: int


def back_up(source: Path, out: Path, *, force: bool = False) -> Backup:
    """Copy the live SQLite database ``source`` to ``out``, verified, atomically; an existing
    ``out`` is replaced only with ``force``, and never when it is the database."""
    if not source.is_file():
        raise StoreError(
            f"there is no database at {source}",
            hint="check --db (or ENVKEEP_SERVER_DB): the file the server was started with",
        )
    _refuse_the_source(source, out)
    refuse_existing(out, force=force, instead="back up to another file")
    if not out.parent.is_dir():
        raise UsageError(
            f"the directory {out.parent} does not exist", hint=f"create it: mkdir -p {out.parent}"
        )
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.fchmod(fd, 0o600)
    os.close(fd)
    temporary = Path(name)
    try:
        revision = _copy(source, temporary)
        _verify(temporary, revision)
        _sync(temporary)
        temporary.replace(out)
        _sync(out.parent)
    finally:
        for leftover in (temporary, *_sidecars(temporary)):
            leftover.unlink(missing_ok=True)
    return Backup(out, revision, out.stat().st_size)


def _refuse_the_source(source: Path, out: Path) -> None:
    """The database itself, or its -wal or -shm, is never a backup's output (--force would
    have replaced the live database with its own copy, and lost the log)."""
    resolved = out.resolve()
    if resolved in {source.resolve(), *(p.resolve() for p in _sidecars(source))}:
        raise UsageError(
            f"{out} is the database being backed up",
            hint="write the backup to another file, e.g. envkeep-$(date +%F).db",
        )


def _sidecars(database: Path) -> tuple[Path, ...]:
    return tuple(database.with_name(database.name + end) for end in ("-wal", "-shm", "-journal"))


def _copy(source: Path, target: Path) -> str:
    """One consistent snapshot of ``source`` into ``target``, as one self-contained file;
    the schema revision it held."""
    # Read-write (the file must exist: mode=rw makes none), as a read-only connection cannot
    # always open a WAL database whose server has stopped. The copy writes nothing through it,
    # though closing the last connection of a stopped server's database checkpoints its WAL
    # into the file, as any last reader's does. The URI is built by pathlib, which escapes
    # '#', '?' and '%' (as text they would end the path and open another file).
    live = sqlite3.connect(
        f"{source.resolve().as_uri()}?mode=rw", uri=True, timeout=BUSY_TIMEOUT_MS / 1000
    )
    copy = sqlite3.connect(target)
    try:
        with contextlib.closing(live.cursor()) as cursor:
            cursor.execute("BEGIN")  # the revision and the pages from one snapshot
            revision = _revision(cursor, source)
            live.backup(copy)  # pages=-1: every page in one step
            cursor.execute("COMMIT")
        copy.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as failed:
        raise StoreError(
            f"cannot copy {source}: {failed}", hint="check the path and its permissions"
        ) from None
    finally:
        copy.close()
        live.close()
    return revision


def _revision(cursor: sqlite3.Cursor, database: Path) -> str:
    """The schema revision (Alembic's) a database is at; one without any is no server's."""
    try:
        row = cursor.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:
        row = None
    if row is None:
        raise StoreError(
            f"{database} is not an envkeep server database (it has no schema revision)",
            hint="give --db the file `envkeep server` serves",
        )
    return str(row[0])


def _verify(copy: Path, revision: str) -> None:
    """Open the copy afresh: SQLite finds it whole, at the revision the live database had."""
    connection = sqlite3.connect(f"{copy.resolve().as_uri()}?mode=ro", uri=True)
    try:
        with contextlib.closing(connection.cursor()) as cursor:
            problems = [str(r[0]) for r in cursor.execute("PRAGMA integrity_check").fetchall()]
            found = _revision(cursor, copy)
    finally:
        connection.close()
    if problems != ["ok"]:
        raise StoreError(
            f"the copy failed SQLite's integrity check: {'; '.join(problems[:3])}",
            hint="nothing was written; run PRAGMA integrity_check on the database itself",
        )
    if found != revision:
        raise StoreError(
            f"the copy holds schema {found}, the database {revision}",
            hint="nothing was written; run the backup again",
        )


def _sync(path: Path) -> None:
    """fsync a file or a directory, so the rename survives a crash too."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
