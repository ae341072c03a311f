"""Group commit: concurrent requests on SQLite share one transaction and one fsync.

Every snapshot read appends an audit event, so on SQLite every read is a write transaction
and, with ``synchronous=FULL``, an fsync; SQLite runs one write transaction at a time. Here
the requests that queued while a transaction ran go together in the next one: each runs in a
savepoint of its own (its authentication, authorisation, reads and audit event; a request that
fails rolls back to its savepoint and fails alone), then one COMMIT makes them all durable.
No request is answered before that commit succeeded, and if it fails every request of the
group fails with it.

Jobs marked ``shared`` (snapshot reads) go together, up to ``MAX_GROUP``; any other job (a
write) gets a transaction of its own, so that the secrets a read sees were committed by an
earlier transaction (``app.secrets_cache``) and a large batch never holds readers' answers.
Groups run one at a time, in one worker-thread hop each, behind the server's transaction gate.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from envkeep.api.driver_call import driver_of

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable

    from sqlalchemy import Connection, Engine

T = TypeVar("T")

MAX_GROUP = 64


@dataclass
class GroupTransaction:
    """What a job runs in: the group's connection (its sqlite3 connection as ``driver``) and
    an ORM session bound to it. A job that uses the session leaves it behind: it is committed
    into the job's savepoint (rolled back if the job fails) and the next job gets a new one."""

    connection: Connection
    driver: sqlite3.Connection = field(init=False)
    session: Session = field(init=False)

    def __post_init__(self) -> None:
        self.driver = driver_of(self.connection)
        self.session = self._new_session()

    def _new_session(self) -> Session:
        return Session(bind=self.connection, join_transaction_mode="create_savepoint")

    def settle_session(self, *, ok: bool) -> None:
        if not self.session.in_transaction():  # untouched: ready for the next job
            return
        try:
            if ok:
                self.session.commit()
            else:
                self.session.rollback()
        finally:
            self.session.close()
            self.session = self._new_session()


@dataclass
class _Job(Generic[T]):
    work: Callable[[GroupTransaction], T]
    shared: bool
    future: asyncio.Future[T]


@dataclass(frozen=True)
class _Outcome:
    value: Any = None
    error: BaseException | None = None

    def settle(self, future: asyncio.Future[Any]) -> None:
        if future.done():  # the request went away meanwhile
            return
        if self.error is not None:
            future.set_exception(self.error)
        else:
            future.set_result(self.value)


@dataclass
class GroupCommit:
    """Runs jobs in shared SQLite transactions (see the module's docstring). ``gate`` is the
    server's transaction gate, which other routes' transactions pass too. The groups use one
    connection of the engine's, kept between groups (``close`` gives it back)."""

    engine: Engine
    gate: Callable[[], asyncio.Semaphore]
    _queue: deque[_Job[Any]] = field(default_factory=deque, init=False)
    _drainer: asyncio.Task[None] | None = field(default=None, init=False)
    _connection: Connection | None = field(default=None, init=False)

    async def run(self, work: Callable[[GroupTransaction], T], *, shared: bool) -> T:
        """``work`` inside a transaction (and a savepoint of its own), once committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.append(_Job(work, shared, future))
        if self._drainer is None:
            self._drainer = loop.create_task(self._drain())
        return await future

    def close(self) -> None:
        """Give the connection back (on shutdown, no group running)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _next_group(self) -> list[_Job[Any]]:
        group: list[_Job[Any]] = []
        while self._queue and len(group) < MAX_GROUP:
            job = self._queue[0]
            if group and not (job.shared and group[0].shared):
                break
            self._queue.popleft()
            if not job.future.done():  # skip a request that went away while it queued
                group.append(job)
        return group

    async def _drain(self) -> None:
        """Run groups until the queue is empty; stop without awaiting anything after the last
        check, so that a job queued later always finds a drainer or starts one."""
        while True:
            group = self._next_group()
            try:
                async with self.gate():
                    outcomes = await run_in_threadpool(self._commit, group)
            except BaseException as error:  # cancelled: the server is going away
                for job in [*group, *self._queue]:
                    _Outcome(error=error).settle(job.future)
                self._queue.clear()
                self._drainer = None
                raise
            if not self._queue:
                self._drainer = None
            for job, outcome in zip(group, outcomes, strict=True):
                outcome.settle(job.future)
            if self._drainer is None:
                return

    def _commit(self, group: list[_Job[Any]]) -> list[_Outcome]:
        """In a worker thread: one transaction for the group, one savepoint per job."""
        if not group:
            return []
        if self._connection is None:
            self._connection = self.engine.connect()
        try:
            transaction = self._connection.begin()
            shared = GroupTransaction(self._connection)
            outcomes = [_attempt(shared, job) for job in group]
            transaction.commit()
        # BEGIN, a savepoint or the COMMIT failed: nothing is durable, every request fails.
        except Exception as error:  # noqa: BLE001 - handed to each request's future
            self._abandon()
            return [_Outcome(error=error)] * len(group)
        return outcomes

    def _abandon(self) -> None:
        """After a failed group: close the connection (SQLite rolls back what is left of the
        transaction), so that the next group starts from a clean one."""
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.invalidate()
            with contextlib.suppress(Exception):
                connection.close()


def _attempt(transaction: GroupTransaction, job: _Job[Any]) -> _Outcome:
    driver = transaction.driver
    driver.execute("SAVEPOINT request")
    try:
        value = job.work(transaction)
        transaction.settle_session(ok=True)
    # The request fails alone; an error while rolling back fails the group (raised above).
    except Exception as error:  # noqa: BLE001 - handed to the request's future
        transaction.settle_session(ok=False)
        driver.execute("ROLLBACK TO request")
        driver.execute("RELEASE request")
        return _Outcome(error=error)
    driver.execute("RELEASE request")
    return _Outcome(value=value)
