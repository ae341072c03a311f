"""A member removed while someone accepts the invite that member made, at the same moment, on
PostgreSQL: one of the two goes first, neither fails. The acceptance claims its invite row,
then locks the workspace row (its binding refers to it; its audit event). The removal, when
it locked the workspace row first (`role_lock`) and then deleted the member's open invites,
took the two in the opposite order: a deadlock, and the acceptance failed."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.orm import Session

from envkeep import crypto
from envkeep.app.accounts import NewAccount, accept_invite
from envkeep.app.invites import create_invite
from envkeep.app.members import remove_member
from tests.test_last_admin_race import BEN, _Held, _second_admin, until_waiting

if TYPE_CHECKING:
    from tests.conftest import Owner, Store


def _accepting(store: Store, code: str) -> None:
    public = crypto.generate_keys().public()
    account = NewAccount(
        email="eve@shop.io",
        encryption_public=public.encryption,
        signing_public=public.signing,
        wrapped_private_keys=b"w" * 64,
        kdf_salt=b"s" * 16,
        kdf_params={"memory_kib": 8, "iterations": 1, "lanes": 1},
        auth_key=b"a" * 32,
    )
    with Session(store.engine) as session, session.begin():
        accept_invite(
            session,
            code=code,
            account=account,
            clock=lambda: datetime.now(UTC),
            new_id=lambda: str(uuid.uuid4()),
        )


def test_removing_a_member_while_their_invite_is_accepted_does_not_deadlock(
    store: Store, owner: Owner
) -> None:
    if store.engine.dialect.name == "sqlite":
        pytest.skip("SQLite runs one writer at a time")
    _second_admin(store, owner)
    _invite_id, code = store.run(
        BEN,
        lambda call: create_invite(
            call, workspace_id=owner.workspace_id, email="eve@shop.io", role="read"
        ),
    )
    assert code is not None
    got: dict[str, object] = {}

    def run(name: str, work: object) -> None:
        try:
            got[name] = work()  # type: ignore[operator]
        except Exception as error:  # noqa: BLE001 - returned to the test
            got[name] = error

    removal = threading.Thread(
        target=run,
        args=("remove", lambda: store.run(
            owner.principal_id,
            lambda call: remove_member(call, workspace_id=owner.workspace_id, principal_id=BEN),
        )),
        daemon=True,
    )  # fmt: skip
    acceptance = threading.Thread(
        target=run, args=("accept", lambda: _accepting(store, code)), daemon=True
    )
    with _Held(store, owner):
        removal.start()  # waits for the workspace row first
        until_waiting(store.engine, 1)
        acceptance.start()  # claims its invite, then waits for the workspace row
        until_waiting(store.engine, 2)
    removal.join(30)
    acceptance.join(30)

    failed = {k: v for k, v in got.items() if isinstance(v, Exception)}
    assert "deadlock" not in " ".join(str(v) for v in failed.values()), failed
    assert "remove" not in failed, failed
