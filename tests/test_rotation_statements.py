"""A key rotation moves every secret to its new name index without a statement per secret:
rotating an environment of thousands of variables read each one by id, then updated it."""

from __future__ import annotations

import os
import uuid
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import event, text

from envkeep.app.key_rotation import rotate_key
from envkeep.app.projects import create_project
from envkeep.app.share_store import NewShare
from envkeep.app.views import NewEnvironment, SecretWrite
from envkeep.app.writes import write_batch
from envkeep.core.errors import ConflictError, InputError

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.conftest import Owner, Store

ENV_ID = "10000000-0000-4000-8000-00000000000a"


def _write(secret_id: str, version: int, key_version: int) -> SecretWrite:
    return SecretWrite(
        secret_id=secret_id,
        scope="shared",
        name_index=os.urandom(32),
        expected_version=version,
        key_version=key_version,
        name_ct=b"n",
        value_ct=b"v",
        signature=b"s" * 64,
    )


def _shop_with(store: Store, owner: Owner, count: int) -> list[str]:
    store.run(
        owner.principal_id,
        lambda call: create_project(
            call,
            workspace_id=owner.workspace_id,
            name="shop",
            environments=[NewEnvironment(ENV_ID, "dev", b"k")],
        ),
    )
    ids = [str(uuid.uuid4()) for _ in range(count)]
    store.run(
        owner.principal_id,
        lambda call: write_batch(
            call,
            workspace_id=owner.workspace_id,
            project="shop",
            environment="dev",
            writes=[_write(i, 0, 1) for i in ids],
        ),
    )
    return ids


def _rotate(store: Store, owner: Owner, writes: list[SecretWrite]) -> list[str]:
    """Rotate shop/dev to key 2 with ``writes``; every statement it ran."""
    return _statements_run(
        store,
        owner,
        lambda call: rotate_key(
            call,
            workspace_id=owner.workspace_id,
            project="shop",
            environment="dev",
            new_key_version=2,
            shares=[NewShare(ENV_ID, 2, owner.principal_id, b"k2")],
            writes=writes,
        ),
    )


def _statements_run(
    store: Store, owner: Owner, work: Callable[[Any], object], *, about: str = ""
) -> list[str]:
    """The statements ``work`` ran as ``owner`` (those whose text holds ``about``)."""
    statements: list[str] = []

    def seen(*args: Any) -> None:
        if about in str(args[2]):
            statements.append(str(args[2]))

    event.listen(store.engine, "before_cursor_execute", seen)
    try:
        store.run(owner.principal_id, work)
    finally:
        event.remove(store.engine, "before_cursor_execute", seen)
    return statements


def test_a_rotation_reads_and_reindexes_the_secrets_in_one_statement_each(
    store: Store, owner: Owner
) -> None:
    ids = _shop_with(store, owner, 40)
    statements = _rotate(store, owner, [_write(i, 1, 2) for i in ids])
    reads = [s for s in statements if s.lstrip().startswith("SELECT") and "FROM secrets" in s]
    reindexing = [s for s in statements if "SET name_index" in s]
    assert len([s for s in reads if "secrets.id = " in s]) == 0  # no read of one secret by id
    assert len(reindexing) == 1  # every new index in one (executemany) statement


def test_a_rotation_rewriting_a_secret_of_another_environment_is_refused(
    store: Store, owner: Owner
) -> None:
    ids = _shop_with(store, owner, 2)
    with pytest.raises(InputError, match="a secret of another environment"):
        _rotate(store, owner, [_write(i, 1, 2) for i in [*ids, str(uuid.uuid4())]])


def _statements_of(store: Store, owner: Owner, writes: list[SecretWrite]) -> list[str]:
    """The statements on the secrets tables that writing ``writes`` to shop/dev runs (an
    ``executemany`` counts once: psycopg pipelines it, one round trip)."""
    return _statements_run(
        store,
        owner,
        lambda call: write_batch(
            call,
            workspace_id=owner.workspace_id,
            project="shop",
            environment="dev",
            writes=writes,
        ),
        about="secret",
    )


def test_a_batch_of_writes_runs_three_statements_however_many_variables_it_holds(
    store: Store, owner: Owner
) -> None:
    _shop_with(store, owner, 1)
    new = [_write(str(uuid.uuid4()), 0, 1) for _ in range(60)]
    making = _statements_of(store, owner, new)
    updating = _statements_of(store, owner, [replace(w, expected_version=1) for w in new])
    # read the rows, update them (or make them), add their versions: not a statement a row
    assert len(updating) == 3
    assert len(making) == 3


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"expected_version": 0}, "you saw version 0, the store has version 1"),
        ({"scope": "service:x"}, "that secret id is taken|names a service"),
    ],
)
def test_a_rotation_whose_write_is_not_of_the_version_or_scope_stored_changes_nothing(
    store: Store, owner: Owner, change: dict[str, Any], said: str
) -> None:
    from dataclasses import replace

    from envkeep.core.errors import UsageError

    ids = _shop_with(store, owner, 3)
    writes = [_write(i, 1, 2) for i in ids]
    writes[1] = replace(writes[1], **change)
    with pytest.raises((ConflictError, UsageError), match=said):
        _rotate(store, owner, writes)
    with store.engine.connect() as connection:
        stored = connection.execute(
            text(
                "SELECT e.key_version, s.current_version FROM environments e"
                " JOIN secrets s ON s.environment_id = e.id WHERE e.id = :id"
            ),
            {"id": ENV_ID},
        ).fetchall()
    assert sorted(tuple(r) for r in stored) == [(1, 1)] * 3  # nothing moved to key 2


def test_a_rotation_rewriting_one_secret_twice_is_refused_as_input_and_changes_nothing(
    store: Store, owner: Owner
) -> None:
    # two versions of one secret in one batch are refused by the batch's check, before
    # anything is written (not by the (secret, version) key, mid-batch)
    from dataclasses import replace

    ids = _shop_with(store, owner, 2)
    writes = [_write(i, 1, 2) for i in ids]
    writes.append(replace(writes[0], name_index=os.urandom(32)))
    with pytest.raises(ConflictError, match="that secret id is taken"):
        _rotate(store, owner, writes)
    with store.engine.connect() as connection:
        versions = connection.execute(text("SELECT count(*) FROM secret_versions")).scalar()
    assert versions == 2  # each secret's first version only


def test_the_variables_a_batch_makes_are_read_back_in_the_batch_s_order(
    store: Store, owner: Owner
) -> None:
    # one batch shares one time: ordered by it then by random id, `set A=${B} B=${A}` read
    # back as B, A and named its cycle the other way round from one run to the next
    ids = _shop_with(store, owner, 30)
    with store.engine.connect() as connection:
        stored = connection.execute(
            text("SELECT id FROM secrets WHERE environment_id = :id ORDER BY created_at, id"),
            {"id": ENV_ID},
        ).fetchall()
    assert [row[0] for row in stored] == ids
