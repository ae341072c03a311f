"""A write finds the rows it touches through indexes, whatever the size of its environment:
its lookup named the environment and the name index but not the scope, so SQLite could lead
the unique (environment, scope, name index) index with the environment alone and read every
row of the environment on every write (3 ms a write at 3,000 variables, growing with them)."""

from __future__ import annotations

import os
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import event

from envkeep.app.projects import create_project
from envkeep.app.reads import SHARED_SCOPE, service_scope
from envkeep.app.services import add_service
from envkeep.app.views import NewEnvironment, SecretWrite
from envkeep.app.writes import write_batch
from envkeep.store.engine import sqlite_url

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import Owner, Store

# The unique index's whole key, or the primary key: each a search for one row.
_ONE_ROW = ("(environment_id=? AND scope=? AND name_index=?)", "(id=?)")


def _new(scope: str) -> SecretWrite:
    return SecretWrite(
        secret_id=str(uuid.uuid4()),
        scope=scope,
        name_index=os.urandom(32),
        expected_version=0,
        key_version=1,
        name_ct=b"n",
        value_ct=b"v",
        signature=b"s" * 64,
    )


def _write(store: Store, owner: Owner, writes: list[SecretWrite]) -> int:
    return store.run(
        owner.principal_id,
        lambda call: (
            write_batch(
                call,
                workspace_id=owner.workspace_id,
                project="shop",
                environment="dev",
                writes=writes,
            ).revision
        ),
    )


def _lookup_plan(store: Store, owner: Owner, writes: list[SecretWrite]) -> list[str]:
    """How SQLite answers the statement that reads the rows ``writes`` touch (EXPLAIN QUERY
    PLAN of that very statement, with its parameters), once the batch is written."""
    seen: list[tuple[str, Any]] = []

    def keep(*args: Any) -> None:
        if str(args[2]).startswith("SELECT id, current_version"):
            seen.append((str(args[2]), args[3]))

    event.listen(store.engine, "before_cursor_execute", keep)
    try:
        _write(store, owner, writes)
    finally:
        event.remove(store.engine, "before_cursor_execute", keep)
    assert len(seen) == 1, seen
    statement, parameters = seen[0]
    with store.engine.connect() as connection:
        driver = connection.connection.driver_connection
        assert driver is not None
        rows = driver.execute(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()
    return [str(row[3]) for row in rows]


@pytest.fixture
def database(tmp_path: Path) -> str:
    """SQLite only, in place of conftest's every database: the plan read is SQLite's
    (PostgreSQL plans tables this small by other rules)."""
    return sqlite_url(tmp_path / "envkeep.db")


@pytest.fixture
def shop(store: Store, owner: Owner) -> str:
    """shop/dev holding 300 shared variables; the id of its service `api`."""
    environment = NewEnvironment(str(uuid.uuid4()), "dev", b"k")
    store.run(
        owner.principal_id,
        lambda call: create_project(
            call, workspace_id=owner.workspace_id, name="shop", environments=[environment]
        ),
    )
    service = store.run(
        owner.principal_id,
        lambda call: add_service(call, workspace_id=owner.workspace_id, project="shop", name="api"),
    )
    _write(store, owner, [_new(SHARED_SCOPE) for _ in range(300)])
    return service.id


def _searches_one_row_a_key(plan: list[str]) -> None:
    reads = [step for step in plan if "secrets" in step]
    assert reads, plan
    for step in reads:
        assert step.startswith("SEARCH secrets USING"), plan
        assert step.endswith(_ONE_ROW), plan


def test_a_write_finds_its_variable_by_environment_scope_and_name_index(
    store: Store, owner: Owner, shop: str
) -> None:
    _searches_one_row_a_key(_lookup_plan(store, owner, [_new(SHARED_SCOPE)]))


def test_a_batch_over_two_scopes_finds_each_variable_by_its_whole_key(
    store: Store, owner: Owner, shop: str
) -> None:
    writes = [_new(SHARED_SCOPE), _new(service_scope(shop)), _new(SHARED_SCOPE)]
    plan = _lookup_plan(store, owner, writes)
    _searches_one_row_a_key(plan)
    assert sum("scope=?" in step for step in plan) == 2, plan  # one search a scope
