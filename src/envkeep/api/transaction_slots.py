"""The server's transaction slots: how many requests hold a database transaction at once, and
how long a request waits for one.

A request that finds every slot taken waits for one at most ``SLOT_WAIT_S``, then fails with
a 503 `unavailable` (``NoTransactionSlot``: ``Retry-After``, and a log line naming the cause):
with a table locked in psql, or a database stopped, the requests holding the slots wait on the
database, and without a bound every request behind them (a `whoami` that touches nothing
locked) waited its turn, batch after batch, past the CLI's 30 s read timeout. The bound never
fires under load alone: a transaction holds a slot for milliseconds, and a queue of hundreds
drains in well under a second.

The wait is bounded where a request waits: here, and in the SQLite group commit's queue
(``api.group_commit``), whose drainer takes the slot for a whole group with no bound of its
own (``semaphore``).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from envkeep.core.errors import NoTransactionSlot

if TYPE_CHECKING:
    from types import TracebackType

# The longest a request waits for a transaction slot: as long as the statement timeout on
# PostgreSQL (`store.engine.STATEMENT_TIMEOUT_MS`) and SQLite's busy timeout, so that a wait
# and a statement stay under the CLI's 30 s read timeout.
SLOT_WAIT_S = 10.0


class TransactionSlots:
    """``size`` slots; ``async with slots:`` holds one, waiting at most ``wait`` seconds."""

    def __init__(self, size: int, wait: float = SLOT_WAIT_S) -> None:
        self.size = size
        self.wait = wait
        self.semaphore = asyncio.Semaphore(size)

    def locked(self) -> bool:
        """Whether a request would have to wait for a slot."""
        return self.semaphore.locked()

    def busy(self) -> NoTransactionSlot:
        """The error of a request that waited ``wait`` seconds in vain."""
        return NoTransactionSlot(waited=self.wait, slots=self.size)

    async def __aenter__(self) -> None:
        if not self.semaphore.locked():  # a slot is free: taken at once, no timer to set
            await self.semaphore.acquire()
            return
        try:
            async with asyncio.timeout(self.wait):
                await self.semaphore.acquire()
        except TimeoutError:
            raise self.busy() from None

    async def __aexit__(
        self,
        _kind: type[BaseException] | None,
        _error: BaseException | None,
        _trace: TracebackType | None,
    ) -> None:
        self.semaphore.release()
