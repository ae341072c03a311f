"""`envkeep server copy`: a team server on SQLite, copied into PostgreSQL, serves there what
it served (sessions, logins, tokens, values, history, the audit trail) and takes new writes."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from envkeep.store.engine import open_engine
from envkeep.store.server_copy import TABLES
from tests.server import TeamServer, _environ, _start_on, cli, join, quick_ok, start_server

if TYPE_CHECKING:
    from pathlib import Path

    from tests.pg import PostgresServer


def _counts(database: str) -> dict[str, int]:
    engine = open_engine(database)
    try:
        with engine.connect() as connection:
            return {
                t.name: int(connection.execute(select(func.count()).select_from(t)).scalar_one())
                for t in TABLES
            }
    finally:
        engine.dispose()


def _history(home: Path, work: Path) -> list[tuple[int, str | None]]:
    shown = quick_ok(home, work, "history", "API_KEY", "--env", "dev", "--json", "--reveal")
    return [(e["version"], e.get("value")) for e in json.loads(shown)]


def _on_same_address(stopped: TeamServer, database: str, root: Path) -> TeamServer:
    """A server on ``database`` at the stopped one's address: the clients' sessions, pins and
    audit heads name the server by its URL."""
    port = urlsplit(stopped.url).port
    assert port is not None
    started = _start_on(port, database, _environ(root / "server-home"), root / "moved.log")
    assert started is not None, "the server's port was taken meanwhile"
    return started


@pytest.mark.slow
def test_a_sqlite_server_copied_to_postgresql_serves_the_same_team_and_takes_new_writes(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    server = start_server(tmp_path)
    alice, bob, ci, work = (tmp_path / name for name in ("alice", "bob", "ci", "work"))
    work.mkdir()
    try:
        join(server, alice, work, server.invite("alice@copy.io"), "alice@copy.io")
        quick_ok(alice, work, "init", "shop")
        quick_ok(alice, work, "set", "API_KEY=one", "--env", "dev")
        quick_ok(alice, work, "set", "API_KEY=two", "PORT=8080", "--env", "dev")
        code = quick_ok(alice, work, "member", "invite", "bob@copy.io", "--role", "read",
                        "--project", "shop").strip()  # fmt: skip
        join(server, bob, work, code, "bob@copy.io")
        quick_ok(alice, work, "member", "grant", "bob@copy.io", "read", "--project", "shop")
        token = quick_ok(alice, work, "token", "create", "ci", "--project", "shop",
                         "--env", "dev").strip()  # fmt: skip
        assert quick_ok(ci, work, "get", "PORT", "--env", "dev", ENVKEEP_TOKEN=token)
        history_before = _history(alice, work)
        quick_ok(alice, work, "audit", "verify")  # pins the trail's head on alice's machine
    finally:
        server.stop()
    source_counts = _counts(server.database)
    target = postgres.create_database()
    secret_target = target.replace("postgres@", "postgres:hunter2hunter2@")  # trust: unchecked

    copied = cli(tmp_path / "ops", tmp_path, "server", "copy", "--db", server.database,
                 "--to", secret_target)  # fmt: skip

    try:
        assert copied.returncode == 0, copied.stderr
        assert "hunter2" not in copied.stderr + copied.stdout
        assert "postgresql+psycopg://…@127.0.0.1:" in copied.stderr
        assert "(migrated to the schema first)" in copied.stderr
        assert "the audit chains of 1 workspace intact" in copied.stderr
        assert _counts(target) == source_counts
        assert source_counts["secret_versions"] >= 3
        assert source_counts["audit_events"] >= 10
        moved = _on_same_address(server, target, tmp_path)
        try:
            verified = cli(alice, work, "audit", "verify")  # the same chain, its pinned head
            bob_reads = cli(bob, work, "get", "API_KEY", "--env", "dev")  # his copied session
            token_reads = cli(ci, work, "get", "API_KEY", "--env", "dev", ENVKEEP_TOKEN=token)
            fresh = tmp_path / "fresh"
            quick_ok(fresh, work, "login", moved.url, "--email", "alice@copy.io",
                     ENVKEEP_PASSPHRASE="alice passphrase")  # fmt: skip
            history_after = _history(fresh, work)
            written = cli(alice, work, "set", "API_KEY=three", "--env", "dev")
            after_write = cli(fresh, work, "get", "API_KEY", "--env", "dev")
            verified_after = cli(fresh, work, "audit", "verify")
        finally:
            moved.stop()
    finally:
        postgres.drop_database(target)

    assert verified.returncode == 0, verified.stderr
    assert verified.stderr.startswith("intact: ")
    assert (bob_reads.returncode, bob_reads.stdout.strip()) == (0, "two"), bob_reads.stderr
    assert (token_reads.returncode, token_reads.stdout.strip()) == (0, "two"), token_reads.stderr
    assert history_before == [(1, "one"), (2, "two")]
    assert history_after == history_before
    # The first write after the copy: the id sequences were set past the copied rows.
    assert written.returncode == 0, written.stderr
    assert (after_write.returncode, after_write.stdout.strip()) == (0, "three")
    assert verified_after.returncode == 0, verified_after.stderr
    assert verified_after.stderr.startswith("intact: ")
