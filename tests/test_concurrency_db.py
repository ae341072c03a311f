"""32 writers x 100 updates on one variable, on SQLite and on PostgreSQL: versions stay
contiguous, no update is lost, and every loser is told so with a conflict (409)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from envkeep.app.accounts import create_workspace, workspaces_of
from envkeep.app.projects import create_project
from envkeep.app.views import NewEnvironment, SecretWrite
from envkeep.app.writes import write_secrets
from envkeep.core.errors import AlreadyExistsError, ConflictError
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


def test_one_member_creating_two_workspaces_of_one_name_at_once_gets_one(
    store: Store, owner: Owner
) -> None:
    racers = 6
    start = threading.Barrier(racers)
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

    threads = [threading.Thread(target=create) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(made) == 1, (made, refused)
    assert len(refused) == racers - 1
    owned = store.run(owner.principal_id, workspaces_of)
    assert [name for _id, name in owned].count("twin") == 1
