"""Opening a database: SQLite (WAL, synchronous=FULL, foreign keys on) or PostgreSQL."""

from __future__ import annotations

import contextlib
import os
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from envkeep.store.busy_timeout import BUSY_TIMEOUT_MS
from envkeep.store.database_url import is_postgresql

if TYPE_CHECKING:
    from envkeep.store.answering_connection import AnsweringConnection


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of an embedded database file."""
    return f"sqlite:///{path}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def _reader_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # No journal_mode=WAL: setting it writes the file's header, which a read-only connection
    # refuses for a file in rollback mode (`server backup`'s copies are), so none opened.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def open_engine(url: str, *, pool: dict[str, int] | None = None, read_only: bool = False) -> Engine:
    """An engine for ``url``; SQLite files get the pragmas DESIGN §5 asks for. ``pool``:
    the PostgreSQL pool's arguments (``store.pool_size``; None: SQLAlchemy's defaults).
    ``read_only``: a SQLite file is opened for reading only (``mode=ro``: one its user cannot
    write, `server copy`'s source), its transactions deferred, never made if missing."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "do_connect", _reading_only if read_only else _private_file)
        event.listen(engine, "connect", _reader_pragmas if read_only else _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; take it over so that a write
        # transaction starts with BEGIN IMMEDIATE and concurrent writers queue instead of failing.
        event.listen(engine, "begin", _begin_deferred if read_only else _begin_immediate)
        _disable_pysqlite_autobegin(engine)
        return engine
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]  # psycopg 3, not psycopg2
    engine = create_engine(url, pool_pre_ping=True, **(pool or {}))
    if engine.dialect.name == "postgresql":
        event.listen(engine, "do_connect", _bounded_connecting)
    return engine


# How long connecting to PostgreSQL may take. libpq waits for ever by default: a database
# host that takes the connection but never answers (a hung server, a proxy in front of a
# stopped one) kept `server migrate`, `bootstrap` and the server's start from ever ending,
# and a request that needed a new connection from ever being answered. A URL's own
# `connect_timeout` wins, and so does PGCONNECT_TIMEOUT.
CONNECT_TIMEOUT_S = 10


def _bounded_connecting(
    _dialect: Any, _record: Any, _cargs: list[Any], cparams: dict[str, Any]
) -> None:
    if "connect_timeout" not in cparams and _libpq_default("connect_timeout") is None:
        cparams["connect_timeout"] = CONNECT_TIMEOUT_S


def _libpq_default(keyword: str) -> str | None:
    """What libpq takes for ``keyword`` when a connection does not name it: its environment
    variable's (PGOPTIONS, PGCONNECT_TIMEOUT), which a value passed on the connection hides."""
    from psycopg import pq

    found = next((o.val for o in pq.Conninfo.get_defaults() if o.keyword == keyword.encode()), None)
    return found.decode() if found else None


# How long one statement of a serving process may run on PostgreSQL, waiting for locks
# included, before the database cancels it: a table an admin locked in psql, or a runaway
# query, turns into a 503 the client can retry instead of a request that waits for ever (and
# holds one of the process's transaction slots, so that every other request waits behind
# it). Below the CLI's 30 s read timeout, so that the client gets the answer. A URL whose
# `options` (else PGOPTIONS) set `statement_timeout` keeps its own value.
STATEMENT_TIMEOUT_MS = 10_000


def serving_engine(
    url: str, *, statement_timeout_ms: int | None = None, pool: dict[str, int] | None = None
) -> Engine:
    """An engine for a server process (``open_engine``, ``pool`` on PostgreSQL); on
    PostgreSQL its statements are cancelled after ``statement_timeout_ms`` (default
    ``STATEMENT_TIMEOUT_MS``) unless the URL sets a timeout of its own, and it waits for the
    database's answers until a deadline (``store.answer_deadline``)."""
    engine = open_engine(url, pool=pool if is_postgresql(url) else None)
    if engine.dialect.name == "postgresql":
        timeout_ms = statement_timeout_ms or STATEMENT_TIMEOUT_MS
        event.listen(engine, "do_connect", partial(_bounded_statements, timeout_ms))
        event.listen(engine, "do_connect", partial(_answering, timeout_ms))  # the last: connects
    return engine


def _answering(
    timeout_ms: int, _dialect: Any, _record: Any, cargs: list[Any], cparams: dict[str, Any]
) -> AnsweringConnection:
    from envkeep.store.answer_deadline import deadline_of
    from envkeep.store.answering_connection import answering_connect  # psycopg: servers only

    options = str(cparams.get("options") or _libpq_default("options") or "")
    return answering_connect(deadline_of(options, timeout_ms), cargs, cparams)


def _bounded_statements(
    timeout_ms: int,
    _dialect: Any,
    _record: Any,
    _cargs: list[Any],
    cparams: dict[str, Any],
) -> None:
    # PGOPTIONS (a search_path, a lock_timeout) goes unread once `options` is passed: kept in.
    options = str(cparams.get("options") or _libpq_default("options") or "")
    if "statement_timeout" in options:
        return
    bound = f"-c statement_timeout={timeout_ms}"
    cparams["options"] = f"{options} {bound}".strip()


def _private_file(_dialect: Any, _record: Any, cargs: list[Any], cparams: dict[str, Any]) -> None:
    """Make a database file that does not exist yet 0600 before SQLite opens it: it holds
    password hashes, wrapped private keys, emails, addresses and the audit trail, and SQLite
    would make it 0644 (under the usual umask). SQLite gives its -wal and -shm files the
    database file's mode, so they follow. An existing file keeps its mode (the server warns
    of a loose one: `api.server_database.loose_database_file`)."""
    name = str(cargs[0]) if cargs else ""
    if not name or name == ":memory:" or cparams.get("uri"):
        return
    # There already (its mode stays), or no directory (SQLite says so when it opens it).
    with contextlib.suppress(FileExistsError, FileNotFoundError):
        os.close(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _reading_only(_dialect: Any, _record: Any, cargs: list[Any], cparams: dict[str, Any]) -> None:
    """Open the file named for reading only: as a ``file:`` URI with ``mode=ro``."""
    name = str(cargs[0]) if cargs else ""
    if name and name != ":memory:" and not cparams.get("uri"):
        cargs[0] = f"file:{quote(str(Path(name).resolve()))}?mode=ro"
        cparams["uri"] = True


def _begin_deferred(connection: Connection) -> None:
    # A reader's transaction: one snapshot of a WAL database from its first read, no lock.
    connection.exec_driver_sql("BEGIN")


def _begin_immediate(connection: Connection) -> None:
    # The server's group commit may have begun the transaction on the driver already.
    if not getattr(connection.connection.driver_connection, "in_transaction", False):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _disable_pysqlite_autobegin(engine: Engine) -> None:
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    event.listen(engine, "connect", _on_connect)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)
