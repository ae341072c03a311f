"""The snapshot cache on PostgreSQL: a read's statements may see different commits there, so a
read keeps the secrets it read only when the environment's key, read again after them, is the
one it read before them; a second read of an unchanged environment then skips the join over
its secrets, as on SQLite (it was not used there at all: 130 ms a read of 3,600 variables)."""

from __future__ import annotations

import os
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import text

from envkeep.api.deps import ServerState
from envkeep.app import reads
from envkeep.app.projects import create_project
from envkeep.app.secrets_cache import SecretsCache
from envkeep.app.views import NewEnvironment, SecretWrite
from envkeep.app.writes import write_batch

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Engine

    from envkeep.app.context import Call
    from tests.conftest import Owner, Store

ENV_ID = "10000000-0000-4000-8000-00000000000b"


def _write(owner: Owner) -> Callable[[Call], int]:
    new = SecretWrite(
        secret_id=str(uuid.uuid4()),
        scope="shared",
        name_index=os.urandom(32),
        expected_version=0,
        key_version=1,
        name_ct=b"n",
        value_ct=b"v",
        signature=b"s" * 64,
    )
    return lambda call: (
        write_batch(
            call, workspace_id=owner.workspace_id, project="shop", environment="dev", writes=[new]
        ).revision
    )


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
    store.run(owner.principal_id, _write(owner))


def _read(
    store: Store,
    owner: Owner,
    cache: SecretsCache,
    before_join: Callable[[], object] = lambda: None,
) -> tuple[int, int]:
    """Read shop/dev with ``cache``: (how many secrets it saw, how often it joined them)."""
    seen, _revision, joins = _snapshot(store, owner, cache, before_join)
    return seen, joins


def _snapshot(
    store: Store,
    owner: Owner,
    cache: SecretsCache,
    before_join: Callable[[], object] = lambda: None,
    *,
    every: bool = False,
) -> tuple[int, int, int]:
    """Read shop/dev with ``cache``: (how many secrets it saw, the revision it answered, how
    often it joined the secrets); ``before_join`` runs before the first join only, or before
    ``every`` one."""
    joins = 0

    def read(call: Call) -> tuple[int, int]:
        def fetch(sql: str, params: Any) -> Any:
            nonlocal joins
            if sql.startswith("SELECT s.id, s.scope"):
                if every or joins == 0:
                    before_join()
                joins += 1
            return call.fetch(sql, params)

        snapshot = reads.read_environment(
            fetch,
            call.actor,
            workspace_id=owner.workspace_id,
            project="shop",
            environment="dev",
            cache=cache,
        )
        return len(snapshot.secrets), snapshot.environment.revision

    seen, revision = store.run(owner.principal_id, read)
    return seen, revision, joins


def test_the_server_caches_snapshots_on_postgresql_too(engine: Engine) -> None:
    state = ServerState(engine)
    try:
        assert state.secrets_cache is not None
        assert state.secrets_cache.recheck == (engine.dialect.name != "sqlite")
        assert state.render is not None  # the secrets of a cached tuple rendered once
    finally:
        state.close()


def test_a_second_read_of_an_unchanged_environment_skips_the_join(
    store: Store, owner: Owner
) -> None:
    _shop(store, owner)
    cache = SecretsCache(recheck=True)

    assert _read(store, owner, cache) == (1, 1)
    assert _read(store, owner, cache) == (1, 0)  # from the cache
    store.run(owner.principal_id, _write(owner))
    assert _read(store, owner, cache) == (2, 1)  # a write raised the revision: read again


def test_a_read_that_saw_a_later_commit_than_its_key_reads_that_commit_again(
    store: Store, owner: Owner
) -> None:
    if store.engine.dialect.name == "sqlite":
        pytest.skip("SQLite: one transaction sees one state (a writer would wait for it)")
    _shop(store, owner)
    cache = SecretsCache(recheck=True)

    # A write commits after the read took the key (revision 1) and before it joins the
    # secrets: the read sees two secrets, which are not revision 1's. It does not keep them as
    # such, nor answer them under revision 1 (the ETag a writer sends back): it reads the
    # environment again, and answers and keeps revision 2.
    write = lambda: store.run(owner.principal_id, _write(owner))  # noqa: E731
    assert _snapshot(store, owner, cache, write) == (2, 2, 2)
    assert len(cache) == 1
    assert _read(store, owner, cache) == (2, 0)  # revision 2's, from the cache


def _waits_on_a_lock(engine: Engine, writer: threading.Thread) -> bool:
    """Whether ``writer`` waits on a lock: True once a backend of the database waits on one
    while it runs, False once it has ended. A condition, not a time: a writer that has not
    committed 3 s after it started is not always a waiting one on a loaded machine."""
    deadline = time.monotonic() + 60
    while writer.is_alive() and time.monotonic() < deadline:
        with engine.connect() as connection:
            if connection.scalar(text(_LOCK_WAITERS)):
                return True
        writer.join(timeout=0.05)
    return writer.is_alive()


_LOCK_WAITERS = """SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock'"""


def test_a_read_with_a_commit_between_every_two_statements_answers_one_revision(
    store: Store, owner: Owner
) -> None:
    if store.engine.dialect.name == "sqlite":
        pytest.skip("SQLite: one transaction sees one state (a writer would wait for it)")
    _shop(store, owner)  # revision 1, one secret: each write adds one and raises the revision
    cache = SecretsCache(recheck=True)
    writers: list[threading.Thread] = []
    waiting: list[bool] = []  # whether each writer was still waiting when the read went on

    def write_before_each_join() -> None:
        # A writer of the environment commits between the read's header and its secrets, on
        # every try, unless the read holds the environment's row: then it waits (a thread, so
        # that the read goes on), and commits once the read's transaction ended.
        writer = threading.Thread(target=store.run, args=(owner.principal_id, _write(owner)))
        writers.append(writer)
        writer.start()
        waiting.append(_waits_on_a_lock(store.engine, writer))

    seen, revision, joins = _snapshot(store, owner, cache, write_before_each_join, every=True)
    for writer in writers:
        writer.join(timeout=30)
    assert (seen, revision) == (2, 2)  # revision 2's secrets, under revision 2: not 6 under 5
    assert joins == 2  # one try saw a commit come in between; the next one held the row
    assert waiting == [False, True]  # the second writer waited for the read's transaction
    assert not any(w.is_alive() for w in writers)
    assert _read(store, owner, cache) == (3, 1)  # the writer it held back committed after it
