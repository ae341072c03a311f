"""The embedded store as it was before this envkeep upgraded its schema, kept beside it.

The embedded store is migrated by whichever command first opens it after an upgrade, with no
`migrate` step at which to take a backup; migrations only go forward, so an envkeep older than
the store's schema can no longer open it ("this database was migrated by a newer envkeep").
The copy (``envkeep.db.schema-0005.bak``, 0600, verified as `server backup` verifies) is what
going back to the older envkeep restores.
"""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.core.errors import UsageError
from envkeep.store.backup import back_up
from envkeep.store.schema_version import schema_state

if TYPE_CHECKING:
    from pathlib import Path


@dataclass(frozen=True)
class KeptCopy:
    """The copy of a store taken before its upgrade from schema ``revision``."""

    path: Path
    revision: str


def keep_before_upgrade(database: Path) -> KeptCopy | None:
    """Copy ``database`` beside itself when it holds a schema this code will upgrade; None
    for a store that is missing, empty (never migrated), current or ahead. A copy of the same
    revision made before (an upgrade that then failed) is kept, not replaced."""
    revision = _revision(database)
    if revision is None or schema_state(revision) != "behind":
        return None
    _owner_only(database)
    out = database.with_name(f"{database.name}.schema-{revision}.bak")
    if out.exists():
        return KeptCopy(out, revision)
    try:
        copy = back_up(database, out)
    except UsageError:  # another command copied it at the same moment
        return KeptCopy(out, revision) if out.exists() else None
    if copy.revision != revision:  # another command upgraded it meanwhile: no copy of before
        out.unlink(missing_ok=True)
        return None
    return KeptCopy(out, revision)


def _owner_only(database: Path) -> None:
    """Make a store an early envkeep created 0644 readable by its owner alone, as the stores
    made now are (its directory is private, but a file copied out keeps its mode)."""
    with contextlib.suppress(OSError):
        if database.stat().st_mode & 0o077:
            database.chmod(0o600)


def _revision(database: Path) -> str | None:
    if not database.is_file():
        return None
    # Read-write, as `backup` opens it: read-only cannot reopen a WAL file whose -shm is gone.
    connection = sqlite3.connect(f"{database.resolve().as_uri()}?mode=rw", uri=True)
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:  # no alembic_version table: never migrated
        return None
    finally:
        connection.close()
    return None if row is None else str(row[0])
