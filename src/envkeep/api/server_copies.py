"""`envkeep server copy`: from two database URLs to a checked copy (`store.server_copy`).

The source must be at this envkeep's schema (else the `server migrate` hint) and no server
may hold its SQLite file (a cheap ``flock`` check, `server_database.sole_server`); the target
must be empty: one never migrated is migrated first, one at the schema is taken if it holds no
account or workspace data, anything else is refused before a row is written.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.api.serve import check_schema, migrate
from envkeep.api.server_database import (
    check_database_url,
    database_opened,
    database_written,
    shown_url,
    sole_server,
)
from envkeep.core.errors import StoreError, UsageError
from envkeep.store.database_url import sqlite_file
from envkeep.store.engine import open_engine
from envkeep.store.migrate import current_revision, schema_ahead
from envkeep.store.schema_version import HEAD_REVISION, schema_state
from envkeep.store.server_copy import BATCH, CopiedRows, Progress, copy_rows

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["Copy", "copy_server"]


@dataclass(frozen=True)
class Copy:
    """A finished copy: the rows it wrote, and whether it migrated the target first."""

    rows: CopiedRows
    migrated: bool


def copy_server(
    source: str, target: str, *, batch: int = BATCH, progress: Progress | None = None
) -> Copy:
    """Copy the server database ``source`` into the empty database ``target``, checked, all
    or nothing (the target may be left migrated and empty)."""
    check_database_url(source)
    check_database_url(target)
    if _same_database(source, target):
        raise UsageError(
            "--to names the database being copied",
            hint="give --to another, empty database (e.g. postgresql://envkeep@db/envkeep)",
        )
    # There, at this code's schema (else: run server migrate); only read, so a file this user
    # cannot write is copied (flock, which `_unserved` takes, needs no write either).
    check_schema(source, read_only=True)
    with _unserved(source, "source"), _unserved(target, "target"):
        migrated = _prepare_target(target)
        source_engine, target_engine = open_engine(source, read_only=True), open_engine(target)
        try:
            with database_opened(source), database_written(target):
                rows = copy_rows(source_engine, target_engine, batch=batch, progress=progress)
        except StoreError as failed:
            failed.hint = _left_as(failed.hint, target, migrated=migrated)
            raise
        finally:
            source_engine.dispose()
            target_engine.dispose()
    return Copy(rows, migrated)


def _same_database(source: str, target: str) -> bool:
    """Whether the two URLs name one database: the same text, or one SQLite file spelt two
    ways (relative and absolute, through a symbolic or hard link, a bind mount), which was
    refused as served by a server."""
    if source == target:
        return True
    files = sqlite_file(source), sqlite_file(target)
    if files[0] is None or files[1] is None:
        return False
    try:
        return files[0].samefile(files[1])  # one inode, however it is reached
    except OSError:  # the target's file is not there yet: a new one, not the source
        return files[0].resolve() == files[1].resolve()


@contextlib.contextmanager
def _unserved(database_url: str, role: str) -> Iterator[None]:
    """Hold a SQLite file as a server would for the copy's length: refused while a server
    serves it (it would go on writing what the copy misses), and none starts meanwhile."""
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(sole_server(database_url))
        except UsageError:
            raise UsageError(
                f"an envkeep server serves the {role} {shown_url(database_url)}; nothing was"
                " written",
                hint="stop that server first, then run server copy again",
            ) from None
        yield


def _prepare_target(target: str) -> bool:
    """Migrate a target never migrated (True); take one at the schema; refuse the rest."""
    engine = open_engine(target)
    try:
        with database_opened(target, where="--to"):
            revision = current_revision(engine)
    finally:
        engine.dispose()
    if revision is None:
        migrate(target)
        return True
    state = schema_state(revision)
    if state == "ahead":
        raise schema_ahead(revision)
    if state == "behind":
        raise StoreError(
            f"the target {shown_url(target)} is at schema {revision}, not empty nor at"
            f" {HEAD_REVISION}; nothing was written",
            hint="give --to a new, empty database: server copy migrates it",
        )
    return False


def _left_as(hint: str | None, target: str, *, migrated: bool) -> str:
    """A failed copy's hint, then the state it left the target in: at the schema and empty
    (migrated by this copy, or so already), which the next run takes as it is."""
    how = f"migrated to schema {HEAD_REVISION} by this copy" if migrated else "at the schema"
    left = (
        f"the target {shown_url(target)} is left {how}, without data: server copy takes it"
        " again as it is"
    )
    return f"{hint}; {left}" if hint else left
