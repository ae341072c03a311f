"""Group commit: concurrent requests on SQLite share one transaction and one fsync.

Every snapshot read appends an audit event, so on SQLite every read is a write transaction
and, with ``synchronous=FULL``, an fsync; SQLite runs one write transaction at a time. Here
the requests that queued while a transaction ran go together in the next one: each runs in a
savepoint of its own (its authentication, authorisation, reads and audit event; a request that
fails rolls back to its savepoint and fails alone), then one COMMIT makes them all durable. A
request alone in its transaction needs no savepoint: if it fails, the transaction is rolled
back.
No request is answered before that commit succeeded, and if it fails every request of the
group fails with it.

Jobs of one kind go together, up to ``MAX_GROUP``: snapshot reads (``shared``) with reads,
small writes (``inline``) with small writes. A read never shares a transaction with a write, so
that the secrets a read sees were committed by an earlier transaction (``app.secrets_cache``);
a large batch gets one of its own, so that it never holds other requests' answers. Concurrent
writers thus share one fsync as readers do: many CI jobs writing at once are answered at the
rate of the Python work, not of the disk's flushes. Groups run one at a time, behind the
server's transaction gate. Where a group's statements run depends on what it holds, when the
database lock is free at once:

- a group of reads or of small writes runs its jobs on the event loop (each costs a few
  statements, a read's secrets mostly from the cache) and only its COMMIT, with the fsync, in
  a worker thread, where the event loop reads the next requests meanwhile: a worker thread
  running the jobs' Python fought the event loop for the GIL, which cost more than the jobs
  (about a tenth of the reads per second, measured with ``make bench``);
- a small write that finds nothing queued, the gate free and no other write run in the same
  turn of the event loop runs at once and whole on the loop, COMMIT included: its
  transaction costs less than the two thread switches of a hop, and less than queueing (one
  client writing). The writes read in that same turn (several clients writing at once)
  queue behind it and share the next transaction: without the turn's mark each of them ran
  alone in turn, one fsync each, and the queue never formed. A group of writes stops at
  about ``MAX_GROUP_BYTES``;
- anything else runs in one worker-thread hop.

The event loop's BEGIN does not wait (``busy_timeout`` 0 on that attempt): if another process
holds the lock, the group goes to a worker thread and waits there as any other.

A job waits in the queue at most ``wait`` seconds (``api.transaction_slots``): one not taken
into a group by then fails with ``NoTransactionSlot`` (a 503; nothing of it ran). A job taken
into a group waits for its group's end, which SQLite's busy timeout bounds.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from sqlalchemy import exc
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from envkeep.api.driver_call import driver_of
from envkeep.api.transaction_slots import SLOT_WAIT_S
from envkeep.core.errors import NoTransactionSlot
from envkeep.store.busy_timeout import BUSY_TIMEOUT_MS

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from sqlalchemy import Connection, Engine, RootTransaction

T = TypeVar("T")

MAX_GROUP = 64
# A group's jobs run on the event loop: it stops taking writes at about this many bytes (the
# first job always goes), so that no turn of the loop writes more than a large batch would.
MAX_GROUP_BYTES = 1 << 20


@dataclass
class GroupTransaction:
    """What a job runs in: the group's connection (its sqlite3 connection as ``driver``) and
    an ORM session bound to it, made when a job first uses it (``session``; most jobs send
    every statement to the driver). SQLAlchemy's transaction starts under the driver's with
    that session, so that the session joins it with a savepoint. A job that used the session
    leaves it behind: it is committed into the job's savepoint (rolled back if the job fails)
    and the next job gets a new one. Statements that bypass the engine's events are timed
    into ``statements``."""

    connection: Connection
    driver: sqlite3.Connection = field(init=False)
    statements: list[tuple[str, float]] = field(default_factory=list, init=False)
    _session: Session | None = field(default=None, init=False)
    _orm: RootTransaction | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.driver = driver_of(self.connection)

    @property
    def session(self) -> Session:
        """The job's ORM session, made (with SQLAlchemy's transaction) on first use."""
        if self._session is None:
            if self._orm is None:
                self._orm = self.connection.begin()
            self._session = Session(bind=self.connection, join_transaction_mode="create_savepoint")
        return self._session

    @property
    def orm(self) -> Session:
        """A stand-in for ``session`` that makes it only when a job reaches past what a
        driver call answers by itself (``_SessionOnDemand``)."""
        return cast("Session", _SessionOnDemand(self))

    def flush_session(self) -> None:
        """Flush what the job's session holds, if it made one."""
        if self._session is not None:
            self._session.flush()

    def record(self, sql: str, seconds: float) -> None:
        """Keep one statement's time, for the metrics once the group is answered."""
        self.statements.append((sql, seconds))

    def settle_session(self, *, ok: bool) -> None:
        session = self._session
        if session is None or not session.in_transaction():  # ready for the next job
            return
        self._session = None
        try:
            if ok:
                session.commit()
            else:
                session.rollback()
        finally:
            session.close()

    def commit(self) -> None:
        """COMMIT the group's transaction (nothing left to do if the driver committed it)."""
        orm, self._orm = self._orm, None
        if orm is not None:
            orm.commit()
        elif self.driver.in_transaction:
            self.driver.execute("COMMIT")

    def rollback(self) -> None:
        """Roll the group's transaction back; the connection stays usable."""
        orm, self._orm = self._orm, None
        if orm is not None:
            orm.rollback()
        elif self.driver.in_transaction:
            self.driver.execute("ROLLBACK")


class _SessionOnDemand:
    """Passed to a job as its ORM session: ``flush`` with no session made has nothing to
    flush, and ``get_bind`` is the group's connection either way; anything else makes the
    group's session (``GroupTransaction.session``) and is that session's."""

    __slots__ = ("_transaction",)

    def __init__(self, transaction: GroupTransaction) -> None:
        self._transaction = transaction

    def flush(self) -> None:
        self._transaction.flush_session()

    def get_bind(self, *_args: object, **_kwargs: object) -> Connection:
        return self._transaction.connection

    def __getattr__(self, name: str) -> Any:
        # A private or special name is not the session's API but a look of some tool at this
        # object (a traceback's renderer probing for `__rich_repr__`): answering it would open
        # a session and a transaction that no job closes.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._transaction.session, name)

    def __repr__(self) -> str:
        return f"<the group's ORM session, made on first use: {self._transaction!r}>"


@dataclass
class _Job(Generic[T]):
    work: Callable[[GroupTransaction], T]
    shared: bool
    inline: bool
    future: asyncio.Future[T]
    size: int = 0
    queued: float = 0.0  # when it was queued (the event loop's clock)

    @property
    def kind(self) -> str | None:
        """What the job may share a transaction with (jobs of its kind), None for nothing."""
        if self.shared:
            return "read"
        return "small write" if self.inline else None


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
    server's transaction gate, which other routes' transactions pass too; ``observe`` gets
    the statements the group's jobs ran (text, seconds), together, once it is answered. The
    groups use one connection of the engine's, kept between groups (``close`` gives it
    back). A job waits in the queue at most ``wait`` seconds."""

    engine: Engine
    gate: Callable[[], asyncio.Semaphore]
    observe: Callable[[Sequence[tuple[str, float]]], None] = lambda _timed: None
    wait: float = SLOT_WAIT_S
    _queue: deque[_Job[Any]] = field(default_factory=deque, init=False)
    _sweep: asyncio.TimerHandle | None = field(default=None, init=False)
    _drainer: asyncio.Task[None] | None = field(default=None, init=False)
    _connection: Connection | None = field(default=None, init=False)
    _waits: bool = field(default=True, init=False)
    _busy_turn: bool = field(default=False, init=False)

    async def run(
        self,
        work: Callable[[GroupTransaction], T],
        *,
        shared: bool,
        inline: bool = False,
        size: int = 0,
    ) -> T:
        """``work`` inside a transaction (and a savepoint of its own), once committed;
        ``size``: about how many bytes it writes (``MAX_GROUP_BYTES``)."""
        loop = asyncio.get_running_loop()
        job: _Job[T] = _Job(work, shared, inline, loop.create_future(), size)
        alone = self._drainer is None and not self._queue and not self.gate().locked()
        if inline and alone and not self._busy_turn:
            # Nothing to queue behind, and no other write ran in this turn of the event loop.
            self._busy_turn = True
            loop.call_soon(self._turn_ends)
            async with self.gate():
                (outcome,) = await self._run_group([job])
            outcome.settle(job.future)
            return await job.future
        job.queued = loop.time()
        self._queue.append(job)
        if self._sweep is None:  # one timer for the whole queue, not one per job
            self._sweep = loop.call_at(job.queued + self.wait, self._expire)
        if self._drainer is None:
            self._drainer = loop.create_task(self._drain())
        return await job.future

    def _expire(self) -> None:
        """Fail the jobs that waited ``wait`` seconds in the queue, none taken into a group
        (the queue is in the order they came); look again when the oldest left is due."""
        loop = asyncio.get_running_loop()
        self._sweep = None
        while self._queue and self._queue[0].queued + self.wait <= loop.time():
            job = self._queue.popleft()
            if not job.future.done():
                job.future.set_exception(NoTransactionSlot(waited=self.wait, slots=1))
        if self._queue:
            self._sweep = loop.call_at(self._queue[0].queued + self.wait, self._expire)

    def _turn_ends(self) -> None:
        self._busy_turn = False

    def close(self) -> None:
        """Give the connection back (on shutdown, no group running)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _next_group(self) -> list[_Job[Any]]:
        group: list[_Job[Any]] = []
        size = 0
        while self._queue and len(group) < MAX_GROUP:
            job = self._queue[0]
            if group and (job.kind is None or job.kind != group[0].kind):
                break
            if group and size + job.size > MAX_GROUP_BYTES:
                break
            self._queue.popleft()
            if not job.future.done():  # skip a request that went away while it queued
                group.append(job)
                size += job.size
        return group

    async def _drain(self) -> None:
        """Run groups until the queue is empty; stop without awaiting anything after the last
        check, so that a job queued later always finds a drainer or starts one."""
        while True:
            group: list[_Job[Any]] = []
            try:
                async with self.gate():  # the group is taken once the gate is ours: all queued
                    group = self._next_group()
                    outcomes = await self._run_group(group)
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

    async def _run_group(self, group: list[_Job[Any]]) -> list[_Outcome]:
        """The group's outcomes; its statements go to ``observe`` after the answers."""
        if not group:  # every request of it went away
            return []
        done: _Done | None = None
        if group[0].kind is not None:
            with contextlib.suppress(_LockTaken):
                opened = self._open(group, wait=False)
                if not isinstance(opened, _Open):
                    done = opened
                elif len(group) > 1 or group[0].shared:  # the fsync off the loop: COMMIT alone
                    failed = await run_in_threadpool(_driver_commit, opened.shared.driver)
                    done = self._close(opened, failed)
                else:
                    done = self._close(opened)
        if done is None:
            done = await run_in_threadpool(self._commit, group)
        asyncio.get_running_loop().call_soon(self._publish, done[1])
        return done[0]

    def _publish(self, statements: list[tuple[str, float]]) -> None:
        if statements:
            self.observe(statements)

    def _commit(self, group: list[_Job[Any]]) -> _Done:
        """One transaction for the group, one savepoint per job, committed: the outcomes and
        the timed statements."""
        opened = self._open(group, wait=True)
        return self._close(opened) if isinstance(opened, _Open) else opened

    def _open(self, group: list[_Job[Any]], *, wait: bool) -> _Open | _Done:
        """The group's transaction with every job run in it, not committed yet (or the
        failure of every job); ``_LockTaken`` when ``wait`` is off and another process holds
        the database lock (then nothing ran).

        BEGIN goes to the driver (whether the lock is free is known here, not in an engine
        event); SQLAlchemy's transaction starts on top of it only if a job uses the ORM
        (``store.engine`` issues no second BEGIN). A job alone in its group needs no savepoint:
        if it fails, the whole transaction is rolled back."""
        connection = self._connect(wait=wait)
        try:
            driver_of(connection).execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            self._abandon()
            if not wait and error.sqlite_errorcode in {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}:
                raise _LockTaken from error
            return [_Outcome(error=_wrapped(error))] * len(group), []
        shared = GroupTransaction(connection)
        try:
            if len(group) == 1:
                outcomes = [_attempt_alone(shared, group[0])]
            else:
                outcomes = [_attempt(shared, job) for job in group]
        except Exception as error:  # noqa: BLE001 - a savepoint failed: see _failed
            return self._failed(error, len(group), shared)
        return _Open(shared, outcomes)

    def _close(self, opened: _Open, failed: sqlite3.Error | None = None) -> _Done:
        """COMMIT an open group: its outcomes once durable, else the failure of every job.
        ``failed``: the driver's COMMIT ran already, and failed with this (None: it did not
        fail, or did not run); SQLAlchemy's then has nothing left to commit."""
        if failed is not None:
            return self._failed(failed, len(opened.outcomes), opened.shared)
        try:
            opened.shared.commit()
        except Exception as error:  # noqa: BLE001 - see _failed
            return self._failed(error, len(opened.outcomes), opened.shared)
        return opened.outcomes, opened.shared.statements

    def _failed(self, error: Exception, jobs: int, shared: GroupTransaction) -> _Done:
        """A savepoint or the COMMIT failed: nothing is durable, every request fails."""
        self._abandon()
        failed = _wrapped(error) if isinstance(error, sqlite3.Error) else error
        return [_Outcome(error=failed)] * jobs, shared.statements

    def _connect(self, *, wait: bool) -> Connection:
        """The groups' connection, its busy timeout set for this attempt."""
        if self._connection is None:
            self._connection = self.engine.connect()
            self._waits = True  # the engine's connect event sets BUSY_TIMEOUT_MS
        if self._waits != wait:
            timeout = BUSY_TIMEOUT_MS if wait else 0
            driver_of(self._connection).execute(f"PRAGMA busy_timeout={timeout}")
            self._waits = wait
        return self._connection

    def _abandon(self) -> None:
        """After a failed group: close the connection (SQLite rolls back what is left of the
        transaction), so that the next group starts from a clean one."""
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.invalidate()
            with contextlib.suppress(Exception):
                connection.close()


_Done = tuple[list[_Outcome], list[tuple[str, float]]]  # a group's outcomes, its statements


@dataclass(frozen=True)
class _Open:
    """A group's transaction, every job run in it, before its COMMIT."""

    shared: GroupTransaction
    outcomes: list[_Outcome]


class _LockTaken(Exception):
    """Another process holds the database's write lock."""


def _driver_commit(driver: sqlite3.Connection) -> sqlite3.Error | None:
    """COMMIT on the driver (in a worker thread: the fsync releases the GIL, and nothing else
    here needs it); the error, if it failed. A group of one failed job was rolled back."""
    try:
        if driver.in_transaction:
            driver.execute("COMMIT")
    except sqlite3.Error as error:
        return error
    return None


def _wrapped(error: sqlite3.Error) -> exc.StatementError:
    return exc.DBAPIError.instance(None, None, error, sqlite3.Error)


def _attempt_alone(transaction: GroupTransaction, job: _Job[Any]) -> _Outcome:
    """A job alone in its transaction: if it fails, the transaction is rolled back."""
    try:
        value = job.work(transaction)
        transaction.settle_session(ok=True)
    # The request fails with its own error; an error while rolling back is raised to `_open`,
    # which fails the group (this request alone) with it and abandons the connection.
    except Exception as error:  # noqa: BLE001 - handed to the request's future
        transaction.settle_session(ok=False)
        transaction.rollback()
        return _Outcome(error=error)
    return _Outcome(value=value)


def _attempt(transaction: GroupTransaction, job: _Job[Any]) -> _Outcome:
    # Every job releases its savepoint: savepoints left open nest, and SQLite then copies each
    # page a job writes once more for every open one (an audit event's insert took 17 µs with
    # 30 open, 7 µs with none).
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
