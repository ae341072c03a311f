"""32 writers x 100 updates on one variable, on SQLite and on PostgreSQL: versions stay
contiguous, no update is lost, and every loser is told so with a conflict (409)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from envkeep.app.projects import create_project
from envkeep.app.views import NewEnvironment, SecretWrite
from envkeep.app.writes import write_secrets
from envkeep.core.errors import ConflictError
from envkeep.store.models import Secret, SecretVersion

if TYPE_CHECKING:
    from collections.abc import Callable

    from envkeep.app.context import Call
    from tests.conftest import Owner, Store

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
    with Session(store.engine) as session:
        found = session.scalar(select(Secret.current_version).where(Secret.id == "hot"))
        return int(found or 0)


def test_concurrent_writers_lose_no_update_and_every_loser_gets_a_conflict(
    store: Store, owner: Owner
) -> None:
    store.run(
        owner.principal_id,
        lambda call: create_project(
            call,
            workspace_id=owner.workspace_id,
            name="shop",
            environments=[NewEnvironment("10000000-0000-4000-8000-000000000009", "dev", b"k")],
        ),
    )
    wins = [0] * WRITERS
    losses = [0] * WRITERS
    failures: list[BaseException] = []

    def update(index: int, seen: int) -> Callable[[Call], int]:
        def use_case(call: Call) -> int:
            return write_secrets(
                call,
                workspace_id=owner.workspace_id,
                project="shop",
                environment="dev",
                writes=[_write(seen, index)],
            )

        return use_case

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

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert sum(wins) + sum(losses) == WRITERS * ATTEMPTS
    with Session(store.engine) as session:
        versions = sorted(
            session.scalars(select(SecretVersion.version).where(SecretVersion.secret_id == "hot"))
        )
    assert versions == list(range(1, sum(wins) + 1))  # contiguous: every win is one version
    assert _current(store) == sum(wins)
    assert sum(losses) > 0  # the writers really raced
