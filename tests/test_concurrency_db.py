"""32 writers x 100 updates on one variable, on SQLite and on PostgreSQL: versions stay
contiguous, no update is lost, and every loser is told so with a conflict (409).

The 32 writers' transactions wait for a slot as the server's do (`_Slotted`). Queued in
SQLite's busy handler instead, which sleeps up to 100 ms between tries while newer waiters try
after 1, 2, 5 ms, one of them waited past the busy timeout (10 s) under load and failed with
"database is locked"; on PostgreSQL, 32 threads on a pool of 15 connections waited past the
pool's 30 s. The other tests here leave their few racers to the database's locks."""

from __future__ import annotations

import collections
import os
import threading
import time
import uuid
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool

from envkeep.app.environments import delete_environment
from envkeep.app.key_rotation import rotate_key
from envkeep.app.projects import create_project
from envkeep.app.services import add_service, remove_service
from envkeep.app.share_store import NewShare
from envkeep.app.views import NewEnvironment, SecretWrite
from envkeep.app.workspaces import create_workspace, workspaces_of
from envkeep.app.writes import write_batch
from envkeep.core.errors import (
    AlreadyExistsError,
    ConflictError,
    EnvironmentNotFound,
    UsageError,
)
from envkeep.store.models import Secret, SecretVersion
from tests.conftest import Store

if TYPE_CHECKING:
    from collections.abc import Callable

    from envkeep.app.context import Call
    from tests.conftest import Owner

T = TypeVar("T")

WRITERS = 32
ATTEMPTS = 100


def _write(version: int, writer: int) -> SecretWrite:
    return SecretWrite(
        secret_id="hot",
        scope="shared",
        name_index=b"i" * 32,
        expected_version=version,
        key_version=1,
        name_ct=b"n",
        value_ct=f"{writer}".encode(),
        signature=b"s" * 64,
    )


def _current(store: Store) -> int:
    def read(call: Call) -> int:
        found = call.session.scalar(select(Secret.current_version).where(Secret.id == "hot"))
        return int(found or 0)

    return store.run("", read)  # its own transaction: on SQLite it takes its turn too


class _FairSlots:
    """``slots`` transactions at a time, handed out in the order they were asked for.
    threading.Semaphore is not fair: a writer that releases its slot after reading takes it
    back at once for its write, ahead of those waiting, so on an idle machine no two writers
    raced (the test's "some writer lost" failed). Here the next in line gets the slot."""

    def __init__(self, slots: int) -> None:
        self._lock = threading.Lock()
        self._free = slots
        self._waiting: collections.deque[threading.Event] = collections.deque()

    def __enter__(self) -> None:
        with self._lock:
            if self._free > 0 and not self._waiting:
                self._free -= 1
                return
            turn = threading.Event()
            self._waiting.append(turn)
        turn.wait()  # the slot is handed over by the one leaving it (__exit__)

    def __exit__(self, *_: object) -> None:
        with self._lock:
            if self._waiting:
                self._waiting.popleft().set()
            else:
                self._free += 1


@dataclass(frozen=True)
class _Slotted(Store):
    """``Store`` whose transactions wait for one of ``slots``, as the server's transaction
    gate has them wait (`api.deps`): one at a time on SQLite, which runs one write transaction
    at a time anyway (BEGIN IMMEDIATE), and no more than the connection pool keeps on
    PostgreSQL, whose pool gives up on a thread that waited 30 s. What the writers race for
    stays the same: between a writer's read and its write, the others waiting go first."""

    slots: _FairSlots

    def run(self, principal_id: str, use_case: Callable[[Call], T]) -> T:
        with self.slots:
            return super().run(principal_id, use_case)


def _taking_turns(store: Store) -> Store:
    """``store``, its transactions waiting for a slot (``_Slotted``) as the server's do."""
    pool = store.engine.pool
    sqlite = store.engine.dialect.name == "sqlite"
    slots = pool.size() if isinstance(pool, QueuePool) and not sqlite else 1
    return _Slotted(store.engine, _FairSlots(slots))


ENV_ID = "10000000-0000-4000-8000-000000000009"


def _shop(store: Store, owner: Owner) -> None:
    store.run(
        owner.principal_id,
        lambda call: create_project(
            call,
            workspace_id=owner.workspace_id,
            name="shop",
            environments=[NewEnvironment(ENV_ID, "dev", b"k")],
        ),
    )


def _together(work: Callable[[int], None], threads: int) -> None:
    """``work(0)`` … ``work(threads - 1)``, each in a thread of its own, all joined."""
    started = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join()


def _writing(
    owner: Owner, write: SecretWrite, expected: int | None = None
) -> Callable[[Call], int]:
    """The use case writing ``write`` to shop/dev (``expected``: the revision read)."""

    def use_case(call: Call) -> int:
        return write_batch(
            call,
            workspace_id=owner.workspace_id,
            project="shop",
            environment="dev",
            writes=[write],
            expected_revision=expected,
        ).revision

    return use_case


def test_concurrent_writers_lose_no_update_and_every_loser_gets_a_conflict(
    store: Store, owner: Owner
) -> None:
    _shop(store, owner)
    store = _taking_turns(store)
    wins = [0] * WRITERS
    losses = [0] * WRITERS
    failures: list[BaseException] = []

    def update(index: int, seen: int) -> Callable[[Call], int]:
        return _writing(owner, _write(seen, index))

    def writer(index: int) -> None:
        for _ in range(ATTEMPTS):
            try:
                store.run(owner.principal_id, update(index, _current(store)))
                wins[index] += 1
            except ConflictError:
                losses[index] += 1
            except BaseException as error:  # noqa: BLE001 - collected and asserted below
                failures.append(error)
                return

    _together(writer, WRITERS)

    assert failures == []
    assert sum(wins) + sum(losses) == WRITERS * ATTEMPTS
    with Session(store.engine) as session:
        versions = sorted(
            session.scalars(select(SecretVersion.version).where(SecretVersion.secret_id == "hot"))
        )
    assert versions == list(range(1, sum(wins) + 1))  # contiguous: every win is one version
    assert _current(store) == sum(wins)
    assert sum(losses) > 0  # the writers really raced


def _new_variable(writer: int) -> SecretWrite:
    return SecretWrite(
        secret_id=str(uuid.uuid4()),
        scope="shared",
        name_index=os.urandom(32),
        expected_version=0,
        key_version=1,
        name_ct=b"n",
        value_ct=f"{writer}".encode(),
        signature=b"s" * 64,
    )


def _add(owner: Owner, writer: int, expected: int | None = None) -> Callable[[Call], int]:
    return _writing(owner, _new_variable(writer), expected)


def test_writers_of_one_environment_each_raise_its_revision_by_one(
    store: Store, owner: Owner
) -> None:
    # Different variables, so no write conflicts: each answer is a revision of its own.
    _shop(store, owner)
    writers, each = 8, 10
    start = threading.Barrier(writers, timeout=30)
    revisions: list[int] = []
    failures: list[BaseException] = []

    def writer(index: int) -> None:
        start.wait()
        for _ in range(each):
            try:
                revisions.append(store.run(owner.principal_id, _add(owner, index)))
            except BaseException as error:  # noqa: BLE001 - collected and asserted below
                failures.append(error)
                return

    _together(writer, writers)
    assert failures == []
    assert sorted(revisions) == list(range(1, writers * each + 1))


def _race_on_revision(store: Store, owner: Owner, seen: int, writers: int) -> tuple[list[int], int]:
    """``writers`` writes at once, each sent with ``If-Match: seen``: the revisions written, and
    how many were refused as conflicts."""
    start = threading.Barrier(writers, timeout=30)
    won: list[int] = []
    lost: list[BaseException] = []

    def writer(index: int) -> None:
        start.wait()
        try:
            won.append(store.run(owner.principal_id, _add(owner, index, expected=seen)))
        except ConflictError as error:
            lost.append(error)

    _together(writer, writers)
    return won, len(lost)


def test_writers_sending_one_revision_as_if_match_win_once(store: Store, owner: Owner) -> None:
    _shop(store, owner)
    for seen in range(4):  # rounds: every writer of a round read revision `seen`
        assert _race_on_revision(store, owner, seen, writers=8) == ([seen + 1], 7)


def _while_held(
    store: Store, owner: Owner, holder: Callable[[Call], object], other: Callable[[Call], object]
) -> tuple[object, object]:
    """Run ``holder`` in a transaction kept open 0.5 s after its work is done, and ``other``
    in another transaction that starts meanwhile: what each returned (or raised, for
    ``other``). Without a lock between them, ``other`` reads what ``holder`` has not
    committed yet as if nothing were happening."""
    held = threading.Event()
    got: list[object] = []

    def hold(call: Call) -> object:
        try:
            return holder(call)
        finally:
            held.set()
            time.sleep(0.5)

    def run_other() -> None:
        held.wait(30)
        try:
            got.append(store.run(owner.principal_id, other))
        except Exception as error:  # noqa: BLE001 - returned to the test
            got.append(error)

    thread = threading.Thread(target=run_other, daemon=True)
    thread.start()
    first = store.run(owner.principal_id, hold)
    thread.join(30)
    assert got, "the second transaction never finished"
    return first, got[0]


def _rotate(owner: Owner) -> Callable[[Call], int]:
    def use_case(call: Call) -> int:
        return rotate_key(
            call,
            workspace_id=owner.workspace_id,
            project="shop",
            environment="dev",
            new_key_version=2,
            shares=[NewShare(ENV_ID, 2, owner.principal_id, b"k2")],
            writes=[],
        )

    return use_case


def test_a_write_racing_a_key_rotation_waits_for_it_and_is_refused(
    store: Store, owner: Owner
) -> None:
    # The write read key version 1 while the rotation to 2 was uncommitted: written, its value
    # would have been left under the old key once the rotation committed.
    _shop(store, owner)
    rotated, written = _while_held(store, owner, _rotate(owner), _add(owner, 0))
    assert rotated == 2
    assert isinstance(written, ConflictError)
    assert str(written) == "the environment's data key changed since you read it"


def test_two_key_rotations_at_once_one_wins_the_other_is_a_conflict(
    store: Store, owner: Owner
) -> None:
    _shop(store, owner)
    first, second = _while_held(store, owner, _rotate(owner), _rotate(owner))
    assert first == 2
    assert isinstance(second, ConflictError), second  # not a unique-key error (a 500)


def test_a_write_racing_the_deletion_of_its_environment_is_told_it_is_gone(
    store: Store, owner: Owner
) -> None:
    _shop(store, owner)

    def delete(call: Call) -> None:
        delete_environment(call, workspace_id=owner.workspace_id, project="shop", name="dev")

    _deleted, written = _while_held(store, owner, delete, _add(owner, 0))
    assert isinstance(written, EnvironmentNotFound), written  # a 404, not a 500


def test_a_new_variable_racing_the_removal_of_its_service_is_told_the_service_is_gone(
    store: Store, owner: Owner
) -> None:
    # The write found the service while its removal was uncommitted; its insert then waited on
    # the removal and broke the foreign key: not "created by someone else at the same time".
    _shop(store, owner)
    service = store.run(
        owner.principal_id,
        lambda call: add_service(call, workspace_id=owner.workspace_id, project="shop", name="api"),
    )
    write = replace(_new_variable(0), scope=f"service:{service.id}")

    def remove(call: Call) -> None:
        remove_service(call, workspace_id=owner.workspace_id, project="shop", name="api")

    _removed, written = _while_held(store, owner, remove, _writing(owner, write))
    assert isinstance(written, UsageError), written
    assert "does not have (removed meanwhile?)" in str(written)
    assert _variables(store) == 0  # nothing written


def _variables(store: Store) -> int:
    with Session(store.engine) as session:
        return len(session.scalars(select(Secret.id)).all())


def test_one_member_creating_two_workspaces_of_one_name_at_once_gets_one(
    store: Store, owner: Owner
) -> None:
    racers = 6
    start = threading.Barrier(racers, timeout=30)
    made: list[str] = []
    refused: list[BaseException] = []

    def create() -> None:
        start.wait()
        try:
            made.append(
                store.run(owner.principal_id, lambda c: create_workspace(c, name="twin"))[0]
            )
        except AlreadyExistsError as error:
            refused.append(error)

    _together(lambda _i: create(), racers)

    assert len(made) == 1, (made, refused)
    assert len(refused) == racers - 1
    owned = store.run(owner.principal_id, workspaces_of)
    assert [name for _id, name in owned].count("twin") == 1
