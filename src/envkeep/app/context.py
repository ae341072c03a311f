"""What every use case receives: the database session, who acts, a clock and an id source."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from envkeep.app.ports import Actor

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from sqlalchemy import CursorResult
    from sqlalchemy.orm import Session

__all__ = ["Actor", "Call", "new_uuid", "session_execute", "session_fetch", "utc_now"]


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """A stored time with its zone (SQLite hands back naive UTC), so that what the API shows
    reads as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def stored_moment(value: datetime | str | None) -> datetime | None:
    """A time as a statement sent to the driver hands it back (sqlite3: text; PostgreSQL: a
    datetime), aware."""
    if value is None:
        return None
    return aware(value if isinstance(value, datetime) else datetime.fromisoformat(value))


def sqlite_time(moment: datetime) -> str:
    """A time as the ORM stores it in a ``DateTime(timezone=True)`` column on SQLite (its
    fields as text, the zone dropped: times are UTC here), for a statement sent to the driver
    as it is; a test holds it to SQLAlchemy's."""
    return f"{moment:%Y-%m-%d %H:%M:%S.%f}"


def new_uuid() -> str:
    """A random UUID4 string."""
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Call:
    """One use-case invocation: the transaction it runs in and its dependencies."""

    session: Session
    actor: Actor
    clock: Callable[[], datetime] = field(default=utc_now)
    new_id: Callable[[], str] = field(default=new_uuid)

    def fetch(self, sql: str, params: Mapping[str, Any]) -> Sequence[Sequence[Any]]:
        """The session as a ``ports.Fetch``."""
        return session_fetch(self.session, sql, params)

    def execute(self, sql: str, params: Mapping[str, Any]) -> None:
        """Run one statement that returns no rows, in the call's transaction."""
        session_execute(self.session, sql, params)

    def execute_many(self, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run one statement for each of ``rows`` (none: nothing), as the driver's
        ``executemany``: one round trip on PostgreSQL (psycopg pipelines it)."""
        if rows:
            connection = self.session.connection()
            if connection.dialect.name != "sqlite":
                sql = _pyformat(sql)
            connection.exec_driver_sql(sql, [dict(row) for row in rows])


def session_fetch(session: Session, sql: str, params: Mapping[str, Any]) -> Sequence[Sequence[Any]]:
    """A ``ports.Fetch`` over ``session``: the statement goes to the driver as it is (no
    SQLAlchemy compiling on the read path), inside the session's transaction."""
    return _driver_execute(session, sql, params).fetchall()


def session_execute(session: Session, sql: str, params: Mapping[str, Any]) -> None:
    """Run one statement that returns no rows, as ``session_fetch`` does."""
    _driver_execute(session, sql, params)


def _driver_execute(session: Session, sql: str, params: Mapping[str, Any]) -> CursorResult[Any]:
    connection = session.connection()
    if connection.dialect.name != "sqlite":  # sqlite3 takes :name as it is
        sql = _pyformat(sql)
    return connection.exec_driver_sql(sql, dict(params))


@lru_cache(maxsize=256)
def _pyformat(sql: str) -> str:
    """``:name`` parameters as ``%(name)s`` (psycopg), literal ``%`` doubled."""
    return re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", sql.replace("%", "%%"))
