"""Use-case calls whose statements go straight to the sqlite3 connection.

SQLAlchemy's ``exec_driver_sql`` costs about 25 µs a statement on top of sqlite3's own 8 µs
(its execution context, events and result wrapping), and a snapshot read or a one-variable
write runs a dozen statements. ``DriverCall`` sends them to the connection of the group
commit's transaction itself; it still times each one for the database-time metric and counts
audit events, as the engine's statement events do for every other statement, and raises
SQLAlchemy's exceptions (an ``IntegrityError`` stays a 409).
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import exc

from envkeep.app.context import Call

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from sqlalchemy import Connection


@dataclass(frozen=True, kw_only=True)
class DriverCall(Call):
    """A ``Call`` whose ``fetch`` and ``execute`` run on ``driver``; ``session`` is bound to the
    same connection and transaction, for a use case that reaches for the ORM."""

    driver: sqlite3.Connection
    observe: Callable[[str, float], None]

    def fetch(self, sql: str, params: Mapping[str, Any]) -> Sequence[Sequence[Any]]:
        """Run one statement and return its rows."""
        return driver_fetch(self.driver, self.observe, sql, params)

    def execute(self, sql: str, params: Mapping[str, Any]) -> None:
        """Run one statement that returns no rows."""
        driver_execute(self.driver, self.observe, sql, params)

    def execute_many(self, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run one statement for each of ``rows``, timed as one."""
        if not rows:
            return
        started = time.perf_counter()
        try:
            self.driver.executemany(sql, [dict(row) for row in rows])
        except sqlite3.Error as error:
            raise exc.DBAPIError.instance(
                sql, {}, error, sqlite3.Error, hide_parameters=True
            ) from error
        finally:
            self.observe(sql, time.perf_counter() - started)


def driver_of(connection: Connection) -> sqlite3.Connection:
    """The sqlite3 connection under a checked-out SQLAlchemy connection."""
    driver = connection.connection.driver_connection
    if not isinstance(driver, sqlite3.Connection):
        raise TypeError("a driver call needs a SQLite connection")
    return driver


def driver_fetch(
    driver: sqlite3.Connection,
    observe: Callable[[str, float], None],
    sql: str,
    params: Mapping[str, Any],
) -> list[Any]:
    """``sql`` on ``driver``: its rows, timed by ``observe``; errors as SQLAlchemy raises them."""
    started = time.perf_counter()
    try:
        rows = driver.execute(sql, params).fetchall()
    except sqlite3.Error as error:
        observe(sql, time.perf_counter() - started)
        raise exc.DBAPIError.instance(
            sql, params, error, sqlite3.Error, hide_parameters=True
        ) from error
    observe(sql, time.perf_counter() - started)
    return rows


def driver_execute(
    driver: sqlite3.Connection,
    observe: Callable[[str, float], None],
    sql: str,
    params: Mapping[str, Any],
) -> None:
    """``driver_fetch`` for a statement that returns no rows."""
    driver_fetch(driver, observe, sql, params)
