"""Group commit on SQLite: requests that queue together share one transaction and one commit,
each in a savepoint of its own; a failed commit fails every request of its group."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import event, exc

from envkeep.api.group_commit import MAX_GROUP_BYTES, GroupCommit, GroupTransaction
from envkeep.store.engine import open_engine, sqlite_url

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine, Iterator
    from pathlib import Path

    from sqlalchemy import Engine


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = open_engine(sqlite_url(tmp_path / "group.db"))
    with eng.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE parents (id TEXT PRIMARY KEY)")
        connection.exec_driver_sql(
            "CREATE TABLE answers (name TEXT PRIMARY KEY, parent TEXT"
            " REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED)"
        )
    yield eng
    eng.dispose()


def _names(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return [r[0] for r in connection.exec_driver_sql("SELECT name FROM answers ORDER BY name")]


def _commits(engine: Engine) -> list[int]:
    """A counter of the COMMITs run by every connection checked out from now on."""
    counted = [0]

    def count(sql: str) -> None:
        counted[0] += sql.strip().upper() == "COMMIT"

    def trace(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        dbapi_connection.set_trace_callback(count)

    event.listen(engine, "checkout", trace)
    return counted


def _insert(name: str, *, fail: bool = False) -> Callable[[GroupTransaction], GroupTransaction]:
    def work(transaction: GroupTransaction) -> GroupTransaction:
        transaction.driver.execute("INSERT INTO answers (name) VALUES (?)", (name,))
        if fail:
            raise ValueError(f"{name} fails after writing")
        return transaction

    return work


# How a job is submitted: a snapshot read, a small write, any other write.
READ, SMALL, LARGE = "read", "small", "large"
SMALL_JOB: dict[str, Any] = {"shared": False, "inline": True}


def _run(engine: Engine, jobs: list[tuple[Callable[[GroupTransaction], Any], str]]) -> list[Any]:
    """Submit every job at once (so that they queue together) and gather what each got."""

    async def main() -> list[Any]:
        group_commit = GroupCommit(engine, asyncio.Semaphore)
        runs: list[Coroutine[Any, Any, Any]] = [
            group_commit.run(work, shared=kind == READ, inline=kind == SMALL) for work, kind in jobs
        ]
        try:
            return await asyncio.gather(*runs, return_exceptions=True)
        finally:
            group_commit.close()

    return asyncio.run(main())


def test_concurrent_reads_share_one_transaction_and_one_commit(engine: Engine) -> None:
    commits = _commits(engine)
    got = _run(engine, [(_insert(f"r{i}"), READ) for i in range(5)])
    assert commits == [1]
    assert all(t is got[0] for t in got)  # one GroupTransaction: one transaction
    assert _names(engine) == ["r0", "r1", "r2", "r3", "r4"]


def test_a_failed_commit_fails_every_request_of_the_group(engine: Engine) -> None:
    def orphan(transaction: GroupTransaction) -> None:
        # A deferred foreign key: the statement succeeds, the COMMIT fails.
        transaction.driver.execute("INSERT INTO answers VALUES ('orphan', 'no such parent')")

    got = _run(engine, [(_insert("r0"), READ), (orphan, READ), (_insert("r2"), READ)])
    assert [type(g) for g in got] == [exc.IntegrityError] * 3
    assert _names(engine) == []
    # The next group starts from a clean connection and commits.
    assert not isinstance(_run(engine, [(_insert("after"), READ)])[0], BaseException)
    assert _names(engine) == ["after"]


def test_a_failing_request_rolls_back_alone(engine: Engine) -> None:
    jobs = [(_insert("a"), READ), (_insert("b", fail=True), READ), (_insert("c"), READ)]
    got = _run(engine, jobs)
    assert isinstance(got[1], ValueError)
    assert got[0] is got[2]  # the others still shared their transaction
    assert _names(engine) == ["a", "c"]


def test_a_write_gets_a_transaction_of_its_own(engine: Engine) -> None:
    commits = _commits(engine)
    jobs = [(_insert("r1"), READ), (_insert("r2"), READ), (_insert("w"), LARGE)]
    got = _run(engine, [*jobs, (_insert("r3"), READ)])
    assert commits == [3]
    assert got[0] is got[1]
    assert got[2] is not got[0]
    assert got[3] is not got[2]
    assert _names(engine) == ["r1", "r2", "r3", "w"]


def test_small_writes_ready_in_one_turn_share_a_transaction_after_the_first(
    engine: Engine,
) -> None:
    # The first runs at once, alone; those ready in the same turn of the loop queue behind it.
    commits = _commits(engine)
    got = _run(engine, [(_insert(f"w{i}"), SMALL) for i in range(4)])
    assert commits == [2]
    assert got[0] is not got[1]
    assert got[1] is got[2] is got[3]
    assert _names(engine) == ["w0", "w1", "w2", "w3"]


def test_a_failing_small_write_rolls_back_alone_and_the_others_commit(engine: Engine) -> None:
    first = (_insert("first"), SMALL)
    jobs = [(_insert("a"), SMALL), (_insert("b", fail=True), SMALL), (_insert("c"), SMALL)]
    got = _run(engine, [first, *jobs])
    assert isinstance(got[2], ValueError)
    assert got[1] is got[3]
    assert _names(engine) == ["a", "c", "first"]


def test_small_writes_a_turn_apart_each_run_alone_on_the_loop(engine: Engine) -> None:
    commits = _commits(engine)

    async def main() -> list[int]:
        group_commit = GroupCommit(engine, asyncio.Semaphore)
        try:
            ran_in = [await group_commit.run(_where("w1"), shared=False, inline=True)]
            await asyncio.sleep(0)  # the loop turns, as it does between one client's requests
            ran_in.append(await group_commit.run(_where("w2"), shared=False, inline=True))
            return [*ran_in, threading.get_ident()]
        finally:
            group_commit.close()

    first, second, loop_thread = asyncio.run(main())
    assert first == second == loop_thread
    assert commits == [2]
    assert _names(engine) == ["w1", "w2"]


def test_small_writes_queue_while_another_transaction_holds_the_gate(engine: Engine) -> None:
    # Each in a turn of its own: with the gate free each would run alone; held, they queue.
    commits = _commits(engine)

    async def main() -> list[GroupTransaction]:
        gate = asyncio.Semaphore(1)
        group_commit = GroupCommit(engine, lambda: gate)
        try:
            await gate.acquire()  # as a route's transaction in a worker thread holds it
            runs = []
            for name in ("w1", "w2", "w3"):
                runs.append(asyncio.create_task(group_commit.run(_insert(name), **SMALL_JOB)))
                await asyncio.sleep(0)
                await asyncio.sleep(0)
            gate.release()
            return await asyncio.gather(*runs)
        finally:
            group_commit.close()

    got = asyncio.run(main())
    assert commits == [1]
    assert got[0] is got[1] is got[2]
    assert _names(engine) == ["w1", "w2", "w3"]


@pytest.mark.parametrize(
    ("size", "commits"), [(100, 2), (MAX_GROUP_BYTES // 2 + 1, 4)], ids=["small", "large"]
)
def test_a_group_of_writes_stops_at_its_byte_budget(
    engine: Engine, size: int, commits: int
) -> None:
    counted = _commits(engine)

    async def main() -> None:
        group_commit = GroupCommit(engine, asyncio.Semaphore)
        try:
            await asyncio.gather(
                *(group_commit.run(_insert(f"w{i}"), **SMALL_JOB, size=size) for i in range(4))
            )
        finally:
            group_commit.close()

    asyncio.run(main())
    assert counted == [commits]  # the first alone, then the others: together, or one each
    assert len(_names(engine)) == 4


def test_reads_small_writes_and_large_writes_never_share_a_transaction(engine: Engine) -> None:
    commits = _commits(engine)
    kinds = [READ, READ, SMALL, SMALL, LARGE, SMALL, READ]
    got = _run(engine, [(_insert(f"{i}{kind}"), kind) for i, kind in enumerate(kinds)])
    assert commits == [5]  # reads | small writes | the large one | a small one | a read
    assert got[0] is got[1]
    assert got[2] is got[3]
    assert len({id(t) for t in (got[0], got[2], got[4], got[5], got[6])}) == 5
    assert len(_names(engine)) == len(kinds)


def test_a_request_that_used_the_orm_leaves_a_fresh_session_to_the_next(engine: Engine) -> None:
    sessions: list[object] = []

    def touch(fail: bool) -> Callable[[GroupTransaction], None]:
        def work(transaction: GroupTransaction) -> None:
            sessions.append(transaction.session)
            transaction.session.connection().exec_driver_sql(
                "INSERT INTO answers (name) VALUES ('orm')"
            )
            if fail:
                raise ValueError("rolled back")

        return work

    got = _run(engine, [(touch(True), READ), (touch(False), READ)])
    assert isinstance(got[0], ValueError)
    assert got[1] is None
    assert sessions[0] is not sessions[1]
    assert _names(engine) == ["orm"]


def _where(name: str) -> Callable[[GroupTransaction], int]:
    """A write that answers which thread ran it."""

    def work(transaction: GroupTransaction) -> int:
        _insert(name)(transaction)
        return threading.get_ident()

    return work


def test_a_small_write_runs_on_the_event_loop_when_the_lock_is_free(engine: Engine) -> None:
    async def main() -> tuple[int, int]:
        group_commit = GroupCommit(engine, asyncio.Semaphore)
        try:
            return await group_commit.run(
                _where("w"), shared=False, inline=True
            ), threading.get_ident()
        finally:
            group_commit.close()

    ran_in, loop_thread = asyncio.run(main())
    assert ran_in == loop_thread
    assert _names(engine) == ["w"]


@pytest.mark.parametrize(
    ("shared", "inline"), [(False, True), (True, False)], ids=["small write", "read"]
)
def test_a_job_waits_in_a_thread_while_another_process_holds_the_lock(
    engine: Engine, *, shared: bool, inline: bool
) -> None:
    other = sqlite3.connect(str(engine.url.database), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # as another process writing to the same file

    async def main() -> tuple[int, int]:
        group_commit = GroupCommit(engine, asyncio.Semaphore)
        try:
            job = group_commit.run(_where("w"), shared=shared, inline=inline)
            running = asyncio.create_task(job)
            await asyncio.sleep(0.1)  # the event loop is free while the job waits
            assert not running.done()  # it cannot commit while the other holds the lock
            other.execute("COMMIT")
            return await running, threading.get_ident()
        finally:
            group_commit.close()

    try:
        ran_in, loop_thread = asyncio.run(main())
    finally:
        other.close()
    assert ran_in != loop_thread
    assert _names(engine) == ["w"]


@pytest.mark.parametrize(
    ("shared", "inline"), [(True, False), (False, True)], ids=["reads", "small writes"]
)
def test_a_group_runs_on_the_event_loop_and_commits_in_a_thread(
    engine: Engine, *, shared: bool, inline: bool
) -> None:
    commit_threads: list[int] = []  # the threads that ran a COMMIT statement

    def trace(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        def record(sql: str) -> None:
            if sql.strip().upper() == "COMMIT":
                commit_threads.append(threading.get_ident())

        dbapi_connection.set_trace_callback(record)

    event.listen(engine, "checkout", trace)

    async def main() -> tuple[list[int], int]:
        group_commit = GroupCommit(engine, asyncio.Semaphore)
        try:
            ran_in = await asyncio.gather(
                *(group_commit.run(_where(n), shared=shared, inline=inline) for n in "abc")
            )
            return ran_in, threading.get_ident()
        finally:
            group_commit.close()

    ran_in, loop_thread = asyncio.run(main())
    assert ran_in == [loop_thread] * 3
    # A small write first in its turn commits alone on the loop; a group commits in a thread.
    alone = [] if shared else [True]
    assert [thread == loop_thread for thread in commit_threads] == [*alone, False]
    assert _names(engine) == ["a", "b", "c"]


def _alone(engine: Engine, work: Callable[[GroupTransaction], Any], *, shared: bool) -> Any:
    """Run one job with nothing queued beside it: a transaction of its own, no savepoint."""

    async def main() -> Any:
        group_commit = GroupCommit(engine, asyncio.Semaphore)
        try:
            return await group_commit.run(work, shared=shared, inline=not shared)
        except ValueError as error:
            return error
        finally:
            group_commit.close()

    return asyncio.run(main())


@pytest.mark.parametrize("shared", [False, True], ids=["small write", "read"])
def test_a_job_alone_that_fails_leaves_nothing_and_the_next_commits(
    engine: Engine, *, shared: bool
) -> None:
    statements: list[str] = []

    def trace(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        dbapi_connection.set_trace_callback(statements.append)

    event.listen(engine, "checkout", trace)
    assert isinstance(_alone(engine, _insert("lost", fail=True), shared=shared), ValueError)
    assert _names(engine) == []
    assert not any(s.startswith("SAVEPOINT") for s in statements)  # alone: none needed
    assert isinstance(_alone(engine, _insert("kept"), shared=shared), GroupTransaction)
    assert _names(engine) == ["kept"]


def test_a_job_alone_that_used_the_orm_and_failed_is_rolled_back_whole(engine: Engine) -> None:
    def orm_then_fail(transaction: GroupTransaction) -> None:
        transaction.driver.execute("INSERT INTO answers (name) VALUES ('driver')")
        transaction.session.connection().exec_driver_sql(
            "INSERT INTO answers (name) VALUES ('orm')"
        )
        raise ValueError("rolled back")

    def orm_only(transaction: GroupTransaction) -> None:
        transaction.session.connection().exec_driver_sql(
            "INSERT INTO answers (name) VALUES ('orm')"
        )

    assert isinstance(_alone(engine, orm_then_fail, shared=False), ValueError)
    assert _names(engine) == []
    assert _alone(engine, orm_only, shared=False) is None
    assert _names(engine) == ["orm"]


def test_a_job_that_never_uses_the_orm_gets_no_session(engine: Engine) -> None:
    made: list[object] = []

    def driver_only(transaction: GroupTransaction) -> None:
        transaction.orm.flush()  # nothing to flush: makes no session
        made.append(transaction.orm.get_bind())
        made.append(transaction._session)  # what the stand-in left untouched
        transaction.driver.execute("INSERT INTO answers (name) VALUES ('plain')")

    _alone(engine, driver_only, shared=False)
    assert made[1] is None
    assert made[0] is not None
    assert _names(engine) == ["plain"]


def test_a_look_at_the_stand_in_makes_no_session(engine: Engine) -> None:
    """A traceback's renderer probes the objects it shows (``__rich_repr__``, ``repr``); the
    session stand-in must not open a session and a transaction for it, which no job would
    close (the next write on the connection then failed)."""
    made: list[object] = []

    def looked_at(transaction: GroupTransaction) -> None:
        stand_in = transaction.orm
        assert not hasattr(stand_in, "__rich_repr__")
        assert not hasattr(stand_in, "_private")
        assert "made on first use" in repr(stand_in)
        made.append(transaction._session)
        transaction.driver.execute("INSERT INTO answers (name) VALUES ('seen')")

    _alone(engine, looked_at, shared=False)
    _alone(engine, _insert("next"), shared=False)  # the connection is not left in a transaction
    assert made == [None]
    assert _names(engine) == ["next", "seen"]
