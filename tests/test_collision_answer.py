"""Two transactions that deadlock on PostgreSQL: the one PostgreSQL rolls back is answered 409
("send it again"), not 503 "the database does not answer", and the request's log line carries
no database error, so no "database unavailable" outage is logged for a collision."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import exc, text

from envkeep.api import problems

if TYPE_CHECKING:
    from sqlalchemy import Engine


_BUMP = text("UPDATE collide_probe SET n = n + 1 WHERE id = :id")


def _deadlock(engine: Engine) -> exc.DBAPIError:
    """Make two connections wait on each other's row; the error of the one rolled back."""
    with engine.begin() as setup:
        setup.execute(text("CREATE TABLE collide_probe (id int PRIMARY KEY, n int)"))
        setup.execute(text("INSERT INTO collide_probe VALUES (1, 0), (2, 0)"))
    both_hold = threading.Barrier(2)
    failures: list[exc.DBAPIError] = []

    def take(first: int, second: int) -> None:
        try:
            with engine.begin() as connection:
                connection.execute(_BUMP, {"id": first})
                both_hold.wait(timeout=30)
                connection.execute(_BUMP, {"id": second})
        except exc.DBAPIError as error:
            failures.append(error)

    threads = [threading.Thread(target=take, args=pair) for pair in ((1, 2), (2, 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with engine.begin() as cleanup:
        cleanup.execute(text("DROP TABLE collide_probe"))
    assert len(failures) == 1, failures
    return failures[0]


def test_a_deadlock_is_a_conflict_to_send_again_not_an_outage(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time: it cannot deadlock")
    error = _deadlock(engine)

    answer = problems.for_error(error)
    assert answer is not None
    assert answer.status_code == 409
    assert b'"code":"conflict"' in answer.body
    assert b"send it again" in answer.body
    scope: dict[str, Any] = {}
    problems.note_unavailable(scope, error)
    assert problems.DATABASE_ERROR not in scope.get("state", {})


def test_a_database_that_does_not_answer_is_still_a_503(engine: Engine) -> None:
    refused = exc.OperationalError("SELECT 1", {}, OSError("connection refused"))
    answer = problems.for_error(refused)
    assert answer is not None
    assert answer.status_code == 503
