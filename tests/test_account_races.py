"""Changes to one account's roles and keys racing each other on PostgreSQL (READ COMMITTED):
each pair ends as if one had run after the other, and none deadlocks (`app/principal_lock`).

A third connection holds a row until every racer waits, so that they really run at once."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from envkeep import crypto
from envkeep.app.account_reset import reset_account
from envkeep.app.accounts import NewAccount, accept_invite
from envkeep.app.context import Call
from envkeep.app.invites import create_invite
from envkeep.app.members import remove_member, revoke_role
from envkeep.app.ports import Actor
from envkeep.app.projects import create_project
from envkeep.app.role_scopes import Scope
from envkeep.app.workspaces import create_workspace, join_workspace
from envkeep.store.models import Invite, Principal, RoleBinding
from tests.test_last_admin_race import BEN, _second_admin, until_waiting

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.conftest import Owner, Store

PAT = "00000000-0000-4000-8000-0000000000c3"
PAT_EMAIL = "pat@shop.io"


def _member(store: Store, owner: Owner, role: str = "read") -> None:
    """Pat, a user holding ``role`` in the owner's workspace only."""
    with Session(store.engine) as session, session.begin():
        now = datetime.now(UTC)
        session.add(
            Principal(
                id=PAT,
                kind="user",
                name=PAT_EMAIL,
                encryption_public=b"e" * 32,
                signing_public=b"s" * 32,
                auth_hash="h",
                created_at=now,
            )
        )
        session.flush()
        session.add(
            RoleBinding(
                id=str(uuid.uuid4()),
                principal_id=PAT,
                workspace_id=owner.workspace_id,
                role=role,
                created_at=now,
            )
        )


@pytest.fixture
def on_postgres(store: Store) -> None:
    if store.engine.dialect.name == "sqlite":
        pytest.skip("SQLite runs one writer at a time")


class _Holder:
    """A row locked FOR UPDATE by a third connection until the racers wait for it."""

    def __init__(self, store: Store, sql: str, params: dict[str, str]) -> None:
        self._store, self._sql, self._params = store, sql, params

    def __enter__(self) -> _Holder:
        self._connection = self._store.engine.connect()
        self._connection.execute(text(self._sql), self._params)
        return self

    def until_waiting(self, racers: int, *, unless: Callable[[], bool] = lambda: False) -> None:
        """Until ``racers`` transactions wait on a lock (a new snapshot each poll), or
        ``unless`` says one no longer has to (it went through without waiting)."""
        until_waiting(self._store.engine, racers, unless=unless)

    def __exit__(self, *_: object) -> None:
        self._connection.rollback()
        self._connection.close()


class _Racer(threading.Thread):
    """Runs ``work`` once: what it returned or raised, and when it ended."""

    def __init__(self, work: Callable[[], object]) -> None:
        super().__init__(daemon=True)
        self._work = work
        self.got: object = None
        self.ended = 0.0

    def run(self) -> None:
        try:
            self.got = self._work()
        except Exception as error:  # noqa: BLE001 - returned to the test
            self.got = error
        self.ended = time.monotonic()

    def done(self) -> bool:
        return not self.is_alive()


def _reset(store: Store, owner: Owner, actor: str) -> Callable[[], object]:
    def work() -> object:
        return store.run(
            actor,
            lambda call: reset_account(
                call, workspace_id=owner.workspace_id, principal_id=PAT, role="read"
            ),
        )

    return work


def _join(store: Store, code: str) -> Callable[[], object]:
    def work() -> object:
        public = crypto.generate_keys().public()
        account = NewAccount(
            email=PAT_EMAIL,
            encryption_public=public.encryption,
            signing_public=public.signing,
            wrapped_private_keys=b"w" * 64,
            kdf_salt=b"s" * 16,
            kdf_params={"memory_kib": 8, "iterations": 1, "lanes": 1},
            auth_key=b"a" * 32,
        )
        with Session(store.engine) as session, session.begin():
            return accept_invite(
                session,
                code=code,
                account=account,
                clock=lambda: datetime.now(UTC),
                new_id=lambda: str(uuid.uuid4()),
            )

    return work


def _open_codes(store: Store) -> int:
    with Session(store.engine) as session:
        return len(
            session.scalars(
                select(Invite.id).where(Invite.email == PAT_EMAIL, Invite.accepted_at.is_(None))
            ).all()
        )


def _pat(store: Store) -> tuple[bool, int]:
    """Whether Pat's account is voided, and how many roles it holds."""
    with Session(store.engine) as session:
        pat = session.get(Principal, PAT)
        assert pat is not None
        held = session.scalars(select(RoleBinding.id).where(RoleBinding.principal_id == PAT))
        return pat.auth_hash is None and pat.disabled_at is not None, len(held.all())


@pytest.fixture
def reset_once(store: Store, owner: Owner, on_postgres: None) -> str:
    """Pat reset once and never joined; the code."""
    _second_admin(store, owner)
    _member(store, owner)
    first = _reset(store, owner, owner.principal_id)()
    assert _pat(store) == (True, 0)
    code = first.code  # type: ignore[attr-defined]
    assert isinstance(code, str)
    return code


def _workspace_held(store: Store, owner: Owner) -> _Holder:
    return _Holder(
        store, "SELECT id FROM workspaces WHERE id = :id FOR UPDATE", {"id": owner.workspace_id}
    )


def _in_turn(store: Store, owner: Owner, first: _Racer, second: _Racer) -> None:
    """Start ``first``, then ``second`` once ``first`` waits on the held workspace; let both
    go once both wait, and wait for them to end."""
    with _workspace_held(store, owner) as held:
        first.start()
        held.until_waiting(1)
        second.start()
        held.until_waiting(2)
    first.join(30)
    second.join(30)


def test_two_admins_resetting_a_voided_account_at_once_leave_one_working_code(
    store: Store, owner: Owner, reset_once: str
) -> None:
    first, second = (
        _Racer(_reset(store, owner, owner.principal_id)),
        _Racer(_reset(store, owner, BEN)),
    )
    _in_turn(store, owner, first, second)

    assert not isinstance(first.got, Exception), first.got
    assert not isinstance(second.got, Exception), second.got
    assert _open_codes(store) == 1
    codes = [reset_once, first.got.code, second.got.code]  # type: ignore[attr-defined]
    joined = []
    for code in codes:
        try:
            _join(store, code)()
            joined.append(code)
        except Exception:  # noqa: BLE001, S112 - a refused code is what most of them do
            continue
    assert len(joined) == 1, joined
    assert _pat(store) == (False, 1)


@pytest.mark.parametrize("join_first", [True, False], ids=["join-first", "reset-first"])
def test_a_reset_racing_a_join_with_the_earlier_code_leaves_the_account_whole(
    store: Store, owner: Owner, reset_once: str, join_first: bool
) -> None:
    """Either the join went first and the reset then removed and voided the account again,
    or the reset went first and withdrew the code the join held: never a voided account that
    holds a role (which no code can give new keys: `join` refuses it), and no deadlock."""
    join, reset = _Racer(_join(store, reset_once)), _Racer(_reset(store, owner, BEN))
    racers = [join, reset] if join_first else [reset, join]
    _in_turn(store, owner, *racers)

    assert "deadlock" not in f"{join.got} {reset.got}"
    assert not isinstance(reset.got, Exception), reset.got
    assert _pat(store) == (True, 0)
    assert _open_codes(store) == 1
    _join(store, reset.got.code)()  # type: ignore[attr-defined]
    assert _pat(store) == (False, 1)


def _creating(store: Store, workspace_id: str) -> Callable[[], object]:
    """Pat creates a workspace, which gets the id ``workspace_id``."""

    def work() -> object:
        with Session(store.engine, expire_on_commit=False) as session, session.begin():
            call = Call(
                session, Actor(PAT), new_id=iter([workspace_id, str(uuid.uuid4())]).__next__
            )
            return create_workspace(call, name="mine")

    return work


@pytest.mark.parametrize("revoke", [False, True], ids=["remove", "revoke"])
def test_a_workspace_created_while_its_creator_is_removed_was_created_before_the_removal(
    store: Store, owner: Owner, on_postgres: None, revoke: bool
) -> None:
    """Creation is refused to a user holding no role anywhere. Its check ran, then a removal
    of the user's last role committed, then the creation went through: the check and the
    removal now take turns on the user's row, so a creation that goes through committed
    before the removal, and one after it is refused. A third connection's uncommitted insert
    of the id the new workspace gets holds the creation after its check."""
    _member(store, owner)
    new_id = str(uuid.uuid4())
    create = _Racer(_creating(store, new_id))
    remove = _Racer(
        lambda: store.run(
            owner.principal_id,
            lambda call: (
                revoke_role(call, workspace_id=owner.workspace_id, principal_id=PAT, scope=Scope())
                if revoke
                else remove_member(call, workspace_id=owner.workspace_id, principal_id=PAT)
            ),
        )
    )
    same_id = "INSERT INTO workspaces (id, name, created_at) VALUES (:id, 'x', now())"
    with _Holder(store, same_id, {"id": new_id}) as held:
        create.start()
        held.until_waiting(1)
        remove.start()
        held.until_waiting(2, unless=remove.done)
        time.sleep(0.2)  # the removal commits now if nothing makes it wait
    create.join(30)
    remove.join(30)

    assert not isinstance(remove.got, Exception), remove.got
    assert not isinstance(create.got, Exception), create.got  # its check ran before
    assert create.ended < remove.ended, "the creation went through after the removal"
    assert _pat(store) == (False, 1)  # its own workspace's admin


@pytest.mark.parametrize("join_first", [True, False], ids=["join-first", "remove-first"])
def test_a_member_removed_while_joining_with_an_invite_holds_no_role_after_both(
    store: Store, owner: Owner, on_postgres: None, join_first: bool
) -> None:
    """A removal withdraws the member's open invites; a join of one of them that claimed it
    first used to commit its role beside the removal, which had read the member's roles
    before: the removed member kept a role. Now either the removal waits and removes it too,
    or the join waits and finds its invite withdrawn."""
    _member(store, owner)
    store.run(
        owner.principal_id,
        lambda call: create_project(call, workspace_id=owner.workspace_id, name="shop",
                                    environments=[]),
    )  # fmt: skip
    _invite_id, code = store.run(
        owner.principal_id,
        lambda call: create_invite(
            call, workspace_id=owner.workspace_id, email=PAT_EMAIL, role="write", project="shop"
        ),
    )
    assert code is not None
    join = _Racer(
        lambda: store.run(
            PAT, lambda call: join_workspace(call, code=code, key_proof=None, token="t")
        )
    )
    remove = _Racer(
        lambda: store.run(
            owner.principal_id,
            lambda call: remove_member(call, workspace_id=owner.workspace_id, principal_id=PAT),
        )
    )
    racers = [join, remove] if join_first else [remove, join]
    _in_turn(store, owner, *racers)

    assert "deadlock" not in f"{join.got} {remove.got}"
    assert not isinstance(remove.got, Exception), remove.got
    assert _pat(store) == (False, 0)
