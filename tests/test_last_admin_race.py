"""Two admins demoting or removing each other at the same moment, on SQLite and PostgreSQL:
one wins, the other is refused, and the workspace keeps an admin.

Each change checks that its caller is an admin, then changes the other one's row. At
PostgreSQL's READ COMMITTED the two touch different rows, so nothing made one wait for the
other: each checked before the other committed and both went through (no admin left). A
third connection holds the workspace row here until both changes are waiting, so that they
really run at once."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from envkeep.app.members import grant_role, remove_member, revoke_role
from envkeep.app.policy import Role
from envkeep.app.role_scopes import Scope
from envkeep.core.errors import PermissionDenied
from envkeep.store.models import RoleBinding
from tests.store_members import add_member

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Connection, Engine

    from envkeep.app.context import Call
    from tests.conftest import Owner, Store

BEN = "00000000-0000-4000-8000-0000000000b2"


def _second_admin(store: Store, owner: Owner) -> None:
    add_member(store, owner, BEN, Role.ADMIN, name="ben@shop.io")


def _demote(owner: Owner, whom: str) -> Callable[[Call], object]:
    def use_case(call: Call) -> object:
        return grant_role(
            call,
            workspace_id=owner.workspace_id,
            principal_id=whom,
            role="write",
            scope=Scope(),
            shares=[],
        )

    return use_case


def _remove(owner: Owner, whom: str) -> Callable[[Call], object]:
    def use_case(call: Call) -> object:
        return remove_member(call, workspace_id=owner.workspace_id, principal_id=whom)

    return use_case


def _revoke(owner: Owner, whom: str) -> Callable[[Call], object]:
    def use_case(call: Call) -> object:
        return revoke_role(call, workspace_id=owner.workspace_id, principal_id=whom, scope=Scope())

    return use_case


def _waiting_on_locks(connection: Connection) -> int:
    return int(
        connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND datname = current_database()"
            )
        ).scalar_one()
    )


def until_waiting(
    engine: Engine, racers: int, *, unless: Callable[[], bool] = lambda: False
) -> None:
    """Return once ``racers`` transactions wait on a lock, or ``unless`` says one no longer has
    to (it went through without waiting). A new transaction each poll: pg_stat_activity is a
    snapshot per transaction, so one kept open never sees a racer start waiting."""
    deadline = time.monotonic() + 30
    while not unless():
        with engine.connect() as watcher:
            if _waiting_on_locks(watcher) >= racers:
                return
        assert time.monotonic() < deadline, "the racers never waited for the lock"
        time.sleep(0.02)


class _Held:
    """The workspace held by a third connection: on PostgreSQL its row locked FOR UPDATE, on
    SQLite the database's write lock (BEGIN IMMEDIATE)."""

    def __init__(self, store: Store, owner: Owner) -> None:
        self._store = store
        self._owner = owner

    def __enter__(self) -> _Held:
        engine = self._store.engine
        self.sqlite = engine.dialect.name == "sqlite"
        self._holder = engine.connect()
        if self.sqlite:
            self._holder.begin()  # the engine begins with BEGIN IMMEDIATE
            self._holder.exec_driver_sql("SELECT 1")
        else:
            self._holder.execute(
                text("SELECT id FROM workspaces WHERE id = :id FOR UPDATE"),
                {"id": self._owner.workspace_id},
            )
        return self

    def until_waiting(self, racers: int) -> None:
        """Return once ``racers`` transactions wait for the holder (PostgreSQL tells; SQLite's
        waiters are in their busy handler, which nothing shows: a pause)."""
        if self.sqlite:
            time.sleep(0.5)
            return
        until_waiting(self._store.engine, racers)

    def __exit__(self, *_: object) -> None:
        self._holder.rollback()
        self._holder.close()


def _race(
    store: Store, owner: Owner, changes: list[tuple[str, Callable[[Call], object]]]
) -> list[object]:
    """Run each ``(actor, use case)`` in a thread of its own while the workspace is held, then
    let them go: what each returned or raised, in order."""
    got: list[object] = [None] * len(changes)

    def run(index: int) -> None:
        actor, use_case = changes[index]
        try:
            got[index] = store.run(actor, use_case)
        except Exception as error:  # noqa: BLE001 - returned to the test
            got[index] = error

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(changes))]
    with _Held(store, owner) as held:
        for thread in threads:
            thread.start()
        held.until_waiting(len(changes))
    for thread in threads:
        thread.join(30)
    return got


def _workspace_admins(store: Store, owner: Owner) -> list[str]:
    with Session(store.engine) as session:
        return sorted(
            session.scalars(
                select(RoleBinding.principal_id).where(
                    RoleBinding.workspace_id == owner.workspace_id,
                    RoleBinding.role == "admin",
                    RoleBinding.project_id.is_(None),
                )
            )
        )


@pytest.fixture
def two_admins(store: Store, owner: Owner) -> None:
    _second_admin(store, owner)
    assert _workspace_admins(store, owner) == sorted([owner.principal_id, BEN])


@pytest.mark.usefixtures("two_admins")
@pytest.mark.parametrize("change", [_demote, _revoke, _remove], ids=["demote", "revoke", "remove"])
def test_two_admins_changing_each_other_at_once_leave_one_admin_and_refuse_the_other(
    store: Store, owner: Owner, change: Callable[[Owner, str], Callable[[Call], object]]
) -> None:
    got = _race(
        store,
        owner,
        [(owner.principal_id, change(owner, BEN)), (BEN, change(owner, owner.principal_id))],
    )

    refused = [g for g in got if isinstance(g, Exception)]
    assert len(refused) == 1, got
    assert isinstance(refused[0], PermissionDenied), refused[0]
    assert "you need the admin role" in str(refused[0])
    admins = _workspace_admins(store, owner)
    assert len(admins) == 1, admins
    winner = owner.principal_id if not isinstance(got[0], Exception) else BEN
    assert admins == [winner]
