"""`SqliteFetch.write`, the embedded store's write transaction for batches of variable writes:
committed when the block ends, rolled back when it raises, and usable again after either,
including after a COMMIT that fails (SQLite leaves that transaction open, holding the lock)."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

import pytest

from envkeep.store.sqlite_fetch import SqliteFetch

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture
def fetch(tmp_path: Path) -> Iterator[SqliteFetch]:
    connection = sqlite3.connect(tmp_path / "store.db", isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
    connection.execute(
        "CREATE TABLE child (parent_id INTEGER REFERENCES parent (id)"
        " DEFERRABLE INITIALLY DEFERRED)"
    )
    yield SqliteFetch(connection)
    connection.close()


def _children(fetch: SqliteFetch) -> list[tuple[object, ...]]:
    with fetch.snapshot():
        return [tuple(row) for row in fetch("SELECT parent_id FROM child", {})]


def test_a_block_that_raises_writes_nothing_and_the_next_one_commits(fetch: SqliteFetch) -> None:
    def failing() -> None:
        with fetch.write() as connection:
            connection.execute("INSERT INTO parent VALUES (1)")
            connection.execute("INSERT INTO child VALUES (1)")
            raise RuntimeError("the use case failed")

    with pytest.raises(RuntimeError):
        failing()

    assert _children(fetch) == []
    with fetch.write() as connection:
        connection.execute("INSERT INTO parent VALUES (2)")
        connection.execute("INSERT INTO child VALUES (2)")
    assert _children(fetch) == [(2,)]


def test_a_failed_commit_raises_its_own_error_and_leaves_no_transaction_open(
    fetch: SqliteFetch,
) -> None:
    """Foreign keys are on in a write (the engine's pragma): a child without its parent fails
    at COMMIT (the key is deferred), and that error is the one raised."""
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"), fetch.write() as connection:
        connection.execute("INSERT INTO child VALUES (42)")

    assert _children(fetch) == []  # a read starts: no transaction was left open
    with fetch.write() as connection:  # the pragmas run outside a transaction again
        connection.execute("INSERT INTO parent VALUES (3)")
    with fetch.snapshot():
        assert fetch("SELECT id FROM parent", {}) == [(3,)]
