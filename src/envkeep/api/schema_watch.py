"""A running server's watch on its database's schema.

`envkeep server` refuses to start on a schema other than its own (`serve.check_schema`), but a
server already running when a newer envkeep runs `server migrate` under it (deploy.md says to
stop it first; people forget, and several processes may run) went on answering on a schema it
does not know, writing rows without the columns the new one expects. So the server reads the
version table every ``SCHEMA_CHECK_S`` seconds (``watch``, a task of its own) and on every
readiness check (``note``); once it finds another revision it logs ``schema_changed`` once and
refuses every request that would use the database with a 503 ``schema_changed``, until it is
restarted (``check``, one attribute read on the hot paths). It does not go back to serving if
the revision comes back: what it wrote meanwhile, and whether that schema is really its own
again, is for its operator to judge. A failed read changes nothing: a database that does not
answer is the readiness check's business, and each request's own.

The window: a request that starts within ``SCHEMA_CHECK_S`` of the migration's commit may
still run on the new schema. Reading the revision inside every transaction would close it on
SQLite, at a statement per transaction on the server's hottest paths, and not on PostgreSQL
(a migration may commit between that read and the writes after it, unless the read locked the
version row, which a migration then waits on). docs/design.md has the weighing.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

import structlog
from starlette.concurrency import run_in_threadpool

from envkeep.core.errors import SchemaChanged
from envkeep.store.schema_version import HEAD_REVISION, schema_state

if TYPE_CHECKING:
    from collections.abc import Callable

# How often a running server reads its database's schema revision.
SCHEMA_CHECK_S = 2.0


class SchemaWatch:
    """Whether the database is still at this server's schema; ``read`` gives its revision
    (raising when the database does not answer), ``interval`` seconds between ``watch``'s
    reads."""

    def __init__(self, read: Callable[[], str | None], interval: float = SCHEMA_CHECK_S) -> None:
        self.read = read
        self.interval = interval
        self.changed = False
        self.found: str | None = None

    def check(self) -> None:
        """Refuse (``SchemaChanged``) a request once the schema changed under the server."""
        if self.changed:
            raise SchemaChanged.under(self.found, HEAD_REVISION)

    def note(self, revision: str | None) -> None:
        """Take a revision read from the database: another than this server's marks the
        schema changed, for good, with one log line."""
        if self.changed or schema_state(revision) == "current":
            return
        self.changed, self.found = True, revision
        structlog.get_logger("envkeep.server").error(
            "schema_changed",
            found=revision,
            serves=HEAD_REVISION,
            hint="this server now answers 503 to every request that uses the database: restart"
            " it with the envkeep that migrated the database",
        )

    async def watch(self, stop: asyncio.Event) -> None:
        """Read the revision every ``interval`` seconds until it changes or ``stop`` is set
        (the server's lifespan runs it, and sets ``stop`` on shutdown, then waits for it: a
        task cancelled mid-read would leave its worker thread reading while the database is
        closed under it, and its connection never closed)."""
        while not self.changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)
            if stop.is_set():
                return
            with contextlib.suppress(Exception):  # not answering is the readiness check's
                self.note(await run_in_threadpool(self.read))
