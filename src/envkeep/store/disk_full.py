"""Whether a database error says the database's disk is full, for either driver."""

from __future__ import annotations

from sqlalchemy import exc

# SQLite's SQLITE_FULL ("database or disk is full"), PostgreSQL's SQLSTATE disk_full
# ("could not extend file …: No space left on device").
SQLITE_FULL = 13
PG_DISK_FULL = "53100"


def is_disk_full(error: BaseException) -> bool:
    """True when ``error`` (a SQLAlchemy error or the driver's own) is the database refusing a
    write for want of disk space."""
    cause = error.orig if isinstance(error, exc.DBAPIError) and error.orig else error
    if getattr(cause, "sqlite_errorcode", None) == SQLITE_FULL:
        return True
    return getattr(cause, "sqlstate", None) == PG_DISK_FULL
