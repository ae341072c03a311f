"""The head migration revision, as a constant so that the fast read path can check a database
without importing Alembic (a test keeps it equal to the migrations' real head).

Revisions are numbered (``0001``, ``0002``, …; a test keeps them so), which is how a database's
revision is told to be behind this code (migrate it) or ahead of it (a newer envkeep migrated
it: this one must not touch it) without the migration scripts.
"""

from __future__ import annotations

from typing import Literal

HEAD_REVISION = "0015"

SchemaState = Literal["current", "behind", "ahead"]


def schema_state(revision: str | None) -> SchemaState:
    """Where a database's ``revision`` stands against this code's head (None: empty, so
    behind). A revision this code cannot order (not a number) came from another build: ahead."""
    if revision == HEAD_REVISION:
        return "current"
    if revision is None or (revision.isdigit() and int(revision) < int(HEAD_REVISION)):
        return "behind"
    return "ahead"
