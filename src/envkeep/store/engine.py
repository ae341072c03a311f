"""Opening a database: SQLite (WAL, synchronous=FULL, foreign keys on) or PostgreSQL."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from pathlib import Path


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of an embedded database file."""
    return f"sqlite:///{path}"


# How long a connection waits for another's write lock before SQLITE_BUSY.
BUSY_TIMEOUT_MS = 10_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def open_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get the pragmas DESIGN §5 asks for."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; take it over so that a write
        # transaction starts with BEGIN IMMEDIATE and concurrent writers queue instead of failing.
        event.listen(engine, "begin", _begin_immediate)
        _disable_pysqlite_autobegin(engine)
        return engine
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]  # psycopg 3, not psycopg2
    return create_engine(url, pool_pre_ping=True)


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
