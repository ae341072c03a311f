"""Whether a database error says two transactions collided (PostgreSQL chose this one to give
way: a deadlock, or a serialisation failure): nothing was written, and the same request sent
again succeeds. Not an outage, which a 503 ("the database does not answer") would claim."""

from __future__ import annotations

from sqlalchemy import exc

# SQLSTATE deadlock_detected and serialization_failure.
PG_COLLISIONS = frozenset({"40P01", "40001"})


def is_collision(error: BaseException) -> bool:
    """True when ``error`` (a SQLAlchemy error or the driver's own) is a transaction PostgreSQL
    rolled back because it collided with another."""
    cause = error.orig if isinstance(error, exc.DBAPIError) and error.orig else error
    return getattr(cause, "sqlstate", None) in PG_COLLISIONS
