"""The server's database as its commands meet it: a URL checked before anything opens it, shown
without its password, a SQLite file's mode and its one server process, and a database that
cannot be opened or written turned into an error that says which and what to do."""

from __future__ import annotations

import contextlib
import os
import stat
from typing import TYPE_CHECKING

from sqlalchemy import exc, make_url

from envkeep.api.sqlite_unopened import NOT_A_DATABASE, sqlite_unopened
from envkeep.core.errors import DatabaseUnopened, StoreError, UsageError
from envkeep.store.database_url import sqlite_file

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


def shown_url(url: str) -> str:
    """A database URL as messages show it: without its password (or anything before ``@``),
    nor its query, which may hold one (``?password=…``)."""
    url, query, _ = url.partition("?")
    head, at, tail = url.rpartition("@")
    shown = f"{head.split('://')[0]}://…@{tail}" if at else url
    return f"{shown}?…" if query else shown


SUPPORTED = "sqlite:///PATH (a file) or postgresql://USER@HOST/NAME"
_DRIVERS = {"sqlite": ("", "pysqlite"), "postgresql": ("", "psycopg"), "postgres": ("",)}


def check_database_url(database_url: str) -> None:
    """Refuse (a usage error) a URL the server cannot run on: not a URL, a database other
    than SQLite or PostgreSQL (or another driver than the one installed), or SQLite in memory,
    which lasts one connection: migrate would fill one and the server open another, empty.
    Only the scheme is shown: the rest may hold a password."""
    where = "check --db, ENVKEEP_SERVER_DB or the settings file's db"
    try:
        url = make_url(database_url)
    except exc.ArgumentError:
        raise UsageError(
            f"the server's database is not a URL: give {SUPPORTED}", hint=where
        ) from None
    backend, _, driver = url.drivername.partition("+")
    if driver not in _DRIVERS.get(backend, ()):
        raise UsageError(
            f"the server cannot use a '{url.drivername}' database: give {SUPPORTED}", hint=where
        )
    if backend == "sqlite" and (
        url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"
    ):
        raise UsageError(
            "the server's database cannot be SQLite in memory: it would be empty again for"
            " the server after migrate",
            hint="give a file: --db sqlite:///PATH",
        )


def loose_database_file(database_url: str) -> str | None:
    """A warning when the server's SQLite file may be read or written by others than its
    owner (envkeep makes it 0600; an older one, or one made by hand, may not be)."""
    path = sqlite_file(database_url)
    try:
        mode = stat.S_IMODE(path.stat().st_mode) if path is not None else 0
    except OSError:
        return None
    if not mode & 0o077:
        return None
    return (
        f"the database file {path} is open to others than its owner (mode {mode:04o}): it holds"
        f" password hashes, wrapped keys and the audit trail; run: chmod 600 {path}*"
    )


def check_writable(database_url: str) -> None:
    """Refuse a SQLite file this user cannot write, or whose directory it cannot (SQLite
    makes the ``-wal`` and ``-shm`` files there): the server would start, say it is ready,
    and answer every request 503, since even a read is audited."""
    path = sqlite_file(database_url)
    if path is None or not path.exists():
        return
    for where, what in ((path, "file"), (path.parent, "directory")):
        if not os.access(where, os.W_OK):
            raise StoreError(
                f"the database {what} {where} cannot be written by this user: the server writes"
                " on every request (sessions, the audit trail)",
                hint=f"run envkeep as the user that owns {path} (and its directory), or give"
                f" it to this one: chown USER {path}* {path.parent} (an immutable file:"
                f" chattr -i {path})",
            )


@contextlib.contextmanager
def sole_server(database_url: str) -> Iterator[None]:
    """Hold a SQLite database file for this server process, refusing (UsageError) one that
    another server holds: SQLite takes one process (docs/deploy.md), and a second one started
    without complaint, each with its own rate budget and group commit. An advisory ``flock``
    on the file itself, which SQLite's own (``fcntl``) locks do not meet; the system releases
    it when the process ends, however it ends."""
    import fcntl

    path = sqlite_file(database_url)
    if path is None or not path.exists():
        yield
        return
    held = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(
                f"another envkeep server serves {path}: a SQLite database takes one server process",
                hint="stop that server first; to run several processes, move to PostgreSQL"
                " (docs/deploy.md, 'Several processes')",
            ) from None
        yield
    finally:
        os.close(held)


def _sqlite_directory(database_url: str) -> Path | None:
    """The directory a SQLite URL's file lives in (None: not SQLite, or in memory)."""
    path = sqlite_file(database_url)
    return None if path is None else path.parent


@contextlib.contextmanager
def database_opened(database_url: str, *, where: str = "--db") -> Iterator[None]:
    """Turn a database that cannot be opened (a missing directory, no server there, wrong
    credentials) into an error that says which and what to do, not a driver's traceback;
    ``where``: the option that named it."""
    directory = _sqlite_directory(database_url)
    if directory is not None and not directory.is_dir():
        raise DatabaseUnopened(
            f"cannot open the database {shown_url(database_url)}: the directory {directory}"
            " does not exist",
            hint=f"create it (mkdir -p {directory}) or give {where} another path (`envkeep"
            " server migrate` makes the default one)",
        )
    try:
        yield
    except exc.OperationalError as failed:
        raise _unopened(database_url, where, _said(failed)) from None
    except exc.ProgrammingError as refused:  # the driver refused the URL before connecting
        raise UsageError(
            f"cannot open the database {shown_url(database_url)}:"
            f" {_driver_refusal(refused, database_url)}",
            hint=f"check the options after ? in {_given(where)}: PostgreSQL's names, e.g."
            " ?sslmode=require",
        ) from None
    except exc.DatabaseError as failed:  # SQLite's "file is not a database": not our bug
        said = _said(failed)
        if sqlite_file(database_url) is None or not said.startswith(NOT_A_DATABASE):
            raise
        raise _unopened(database_url, where, said) from None


def _unopened(database_url: str, where: str, reason: str) -> DatabaseUnopened:
    """The error for a database that could not be opened, the driver having said ``reason``."""
    sqlite = sqlite_unopened(database_url, _given(where), reason)
    return DatabaseUnopened(
        f"cannot open the database {shown_url(database_url)}: {reason}"
        + (sqlite.why if sqlite else ""),
        hint=sqlite.hint
        if sqlite
        else f"check {_given(where)}: the host, the user and password, and that the"
        " database server runs",
    )


def _given(where: str) -> str:
    """Where a database URL came from, as a hint names it."""
    return "--db (or ENVKEEP_SERVER_DB, or the settings file's db)" if where == "--db" else where


@contextlib.contextmanager
def database_written(database_url: str) -> Iterator[None]:
    """Turn a write the database refused once open (a full disk, a read-only file, a lost
    connection) into an error naming what it said, not "a bug in envkeep"."""
    try:
        yield
    except exc.OperationalError as failed:
        reason = _said(failed)
        raise StoreError(
            f"cannot write to the database {shown_url(database_url)}: {reason}",
            hint=_not_written_hint(reason),
        ) from None
    except exc.ProgrammingError as failed:  # PostgreSQL's DuplicateTable: the same table in the way
        reason = _said(failed)
        if " already exists" not in reason:
            raise
        raise StoreError(
            f"cannot write to the database {shown_url(database_url)}: {reason}",
            hint=_not_written_hint(reason),
        ) from None


def _not_written_hint(reason: str) -> str:
    """What to do about a refused write: a table in the way ("table X already exists",
    PostgreSQL's "relation X already exists": a migration meeting a database something else
    made) is no full disk."""
    if " already exists" in reason:
        return (
            "the database holds tables envkeep did not make (nothing was changed): give an"
            " empty database, or the one envkeep migrated"
        )
    return (
        "free space on its disk, or check that the database server runs, then run the command again"
    )


def _said(failed: exc.DBAPIError) -> str:
    """The first line of what the database or its driver said, as a 503's log line gives it
    (`problems.database_reason`); none: no connection."""
    from envkeep.api.problems import database_reason

    return database_reason(failed) if failed.orig else "no connection"


def _driver_refusal(refused: exc.ProgrammingError, database_url: str) -> str:
    """What the driver said of the URL (`invalid connection option "sslmod"`), unless it
    quotes the password."""
    lines = str(refused.orig).strip().splitlines() if refused.orig else []
    password = make_url(database_url).password
    if not lines or (password and str(password) in lines[0]):
        return "the driver refused the URL's options"
    return lines[0]
