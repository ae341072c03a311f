"""What a database URL names, decided in one place: PostgreSQL or not, and the file a SQLite
URL names (the server's start-up checks, `server backup` and the shared rate store ask)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from sqlalchemy import exc
from sqlalchemy.engine import make_url

POSTGRESQL_SCHEMES = ("postgresql://", "postgres://", "postgresql+")


def is_postgresql(database_url: str) -> bool:
    """Whether the URL names a PostgreSQL database (any driver spelling)."""
    return database_url.startswith(POSTGRESQL_SCHEMES)


def sqlite_file(database_url: str) -> Path | None:
    """The file a SQLite URL names; None for another database, a SQLite database in memory,
    a ``file:`` URI, or a URL SQLAlchemy cannot read."""
    if not database_url.startswith("sqlite"):
        return None
    with contextlib.suppress(exc.ArgumentError):
        url = make_url(database_url)
        name = url.database if url.get_backend_name() == "sqlite" else None
        if name and name != ":memory:" and not name.startswith("file:"):
            return Path(name)
    return None
