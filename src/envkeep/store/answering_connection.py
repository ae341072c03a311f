"""A psycopg connection that gives up waiting for PostgreSQL at a deadline
(``store.answer_deadline`` says which, and why)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, TypeVar

import psycopg
from psycopg.errors import _WaitTimeout

from envkeep.store.answer_deadline import MARGIN_S, left_of, within_work

if TYPE_CHECKING:
    from psycopg.abc import PQGen

RV = TypeVar("RV")

# libpq counts a connect_timeout under 2 s as 2 s.
SHORTEST_CONNECT_S = 2


class NoAnswer(psycopg.OperationalError):
    """The database did not answer within the deadline; the connection is closed."""

    def __init__(self, waited: float) -> None:
        super().__init__(f"the database did not answer in {waited:g} s")


class AnsweringConnection(psycopg.Connection[Any]):
    """A psycopg connection whose every wait on the database ends by ``deadline``, or
    ``MARGIN_S`` after the wait starts where the work spent its deadline before it: a long
    request on a database that answers (a large import, a rotation of a large environment)
    goes on while each answer comes within the margin, and a COMMIT, sent before its wait
    starts, is never cut off at once to land while its request is told the database did not
    answer. One that does not answer still ends the work by its deadline and a margin."""

    deadline: float | None = None

    def wait(self, gen: PQGen[RV], interval: float = 0.1, timeout: float | None = None) -> RV:
        deadline = self.deadline
        if deadline is None or timeout is not None:
            return super().wait(gen, interval, timeout)
        left = max(left_of(deadline), MARGIN_S)
        try:
            return super().wait(gen, interval, left)
        except _WaitTimeout:
            self.close()  # mid-message: unusable; closed, the pool discards it
            raise NoAnswer(deadline if left > MARGIN_S else MARGIN_S) from None


def answering_connect(
    deadline: float | None, cargs: list[Any], cparams: dict[str, Any]
) -> AnsweringConnection:
    """Connect with ``cparams`` (what SQLAlchemy passes to ``psycopg.connect``), connecting
    bounded by what is left of ``deadline`` too; ``NoAnswer`` when nothing is (the pool
    opening one again after a wait gave up: the work is over)."""
    if deadline is not None and within_work():
        left = left_of(deadline)
        if left <= 0:  # a connection given up at the deadline, opened again: not for long
            raise NoAnswer(deadline)
        given = cparams.get("connect_timeout")
        bound = max(SHORTEST_CONNECT_S, math.ceil(left))
        if given is None or int(given) <= 0 or int(given) > bound:
            cparams["connect_timeout"] = bound
    connection = AnsweringConnection.connect(*cargs, **cparams)
    connection.deadline = deadline
    return connection
