"""A use-case ``Call`` over a bare sqlite3 connection, for the embedded store's writes that
run driver SQL only (`app.writes`): no SQLAlchemy session, engine or import (about 0.2 s of
every `set`). The stand-in ``session`` answers the two things such a use case asks of one:
``flush`` (nothing is pending) and the dialect's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

from envkeep.app.context import Call

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Mapping, Sequence

    from sqlalchemy.orm import Session

    from envkeep.app.ports import Actor


class _NoSession:
    """What a driver-SQL use case asks of ``Call.session``; nothing else is there."""

    _BIND = SimpleNamespace(dialect=SimpleNamespace(name="sqlite"))

    def flush(self) -> None:
        """No ORM changes are ever pending."""

    def get_bind(self) -> Any:
        """The dialect's name, as an engine would give it."""
        return self._BIND


@dataclass(frozen=True, kw_only=True)
class SqliteCall(Call):
    """``fetch`` and ``execute`` on ``connection``, in its open transaction."""

    connection: sqlite3.Connection

    @classmethod
    def on(cls, connection: sqlite3.Connection, actor: Actor) -> SqliteCall:
        return cls(session=cast("Session", _NoSession()), actor=actor, connection=connection)

    def fetch(self, sql: str, params: Mapping[str, Any]) -> Sequence[Sequence[Any]]:
        """Run one statement and return its rows."""
        return self.connection.execute(sql, dict(params)).fetchall()

    def execute(self, sql: str, params: Mapping[str, Any]) -> None:
        """Run one statement that returns no rows."""
        self.connection.execute(sql, dict(params))

    def execute_many(self, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run one statement for each of ``rows``."""
        self.connection.executemany(sql, [dict(row) for row in rows])
