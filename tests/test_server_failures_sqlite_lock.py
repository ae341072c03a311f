"""Another process holds the write lock of a real `envkeep server`'s SQLite file (a `BEGIN
IMMEDIATE` left open, as a backup script or an admin's sqlite3 shell may): a write waits the
busy timeout, then gets a 503 the CLI says to retry, never a 500 nor a wait without end; once
the lock goes, writes land with nothing half-written before them."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

import httpx

from envkeep.store.busy_timeout import BUSY_TIMEOUT_MS
from tests.server import cli, cli_ok, join, start_server
from tests.sqlite_holder import locked

if TYPE_CHECKING:
    from pathlib import Path


def test_a_write_under_another_process_lock_gets_a_503_in_bounded_time_then_lands(
    tmp_path: Path,
) -> None:
    server = start_server(tmp_path / "srv")
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    try:
        join(server, home, work, server.invite("ops@example.com"), "ops@example.com")
        cli_ok(home, work, "init", "shop")
        cli_ok(home, work, "set", "PORT=1")
        before = len(server.log.read_text().splitlines())
        with locked(tmp_path / "srv" / "server.db", "IMMEDIATE"):
            started = time.monotonic()
            refused = cli(home, work, "set", "PORT=2")
            took = time.monotonic() - started
            assert httpx.get(f"{server.url}/healthz").status_code == 200
        assert refused.returncode == 5, refused.stderr
        assert "error: the server's database does not answer" in refused.stderr
        assert "hint: retry in a moment" in refused.stderr
        assert BUSY_TIMEOUT_MS / 1000 <= took < BUSY_TIMEOUT_MS / 1000 + 8  # waited, then told
        said = [json.loads(s) for s in server.log.read_text().splitlines()[before:] if "{" in s]
        assert [line.get("database_error") for line in said if line.get("status") == 503] == [
            "database is locked"
        ]
        assert not [line for line in said if line.get("status") == 500]

        cli_ok(home, work, "set", "PORT=3")  # the lock gone: no restart, nothing left stuck
        versions = [row.split()[0] for row in cli_ok(home, work, "history", "PORT").splitlines()]
        assert versions == ["VERSION", "1", "2"]
        assert "intact" in cli(home, work, "audit", "verify").stderr
    finally:
        server.stop()
