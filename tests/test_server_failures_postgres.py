"""A real `envkeep server` whose PostgreSQL stops (pg_ctl's fast and immediate modes) and starts
again: while it is down, requests get 503 problem+json and the CLI says the server's database
does not answer; `/readyz` is 503, `/healthz` 200; the log says so in one line per outage, not
a traceback per request; once it is back, requests succeed without restarting envkeep, and
nothing half-written is left (versions contiguous, the audit chain intact).

These tests stop a PostgreSQL of their own (the session's serves other tests meanwhile)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.pg import PostgresServer, start_postgres
from tests.server import TeamServer, cli, cli_ok, join, start_server

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    server = start_postgres()
    yield server
    server.stop()


def _log_after(server: TeamServer, lines: int) -> list[dict[str, object]]:
    said = server.log.read_text().splitlines()[lines:]
    return [json.loads(line) for line in said if line.startswith("{")]


def _whoami(url: str) -> httpx.Response:
    headers = {"Authorization": "Bearer ek_sa_nobody"}
    return httpx.get(f"{url}/v1/whoami", headers=headers, timeout=25)


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_a_server_rides_out_postgresql_stopping_and_starting_again(
    mode: str, own_postgres: PostgresServer, tmp_path: Path
) -> None:
    server = start_server(tmp_path / "srv", own_postgres.create_database())
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    try:
        join(server, home, work, server.invite("ops@example.com"), "ops@example.com")
        cli_ok(home, work, "init", "shop")
        cli_ok(home, work, "set", "PORT=1")
        cli_ok(home, work, "set", "PORT=2")
        assert cli_ok(home, work, "run", "--", "sh", "-c", 'printf %s "$PORT"') == "2"
        before = len(server.log.read_text().splitlines())

        own_postgres.halt(mode)
        assert httpx.get(f"{server.url}/healthz").status_code == 200
        ready = httpx.get(f"{server.url}/readyz", timeout=10)
        assert (ready.status_code, ready.json()["code"]) == (503, "not_ready")
        answer = _whoami(server.url)
        assert answer.status_code == 503
        assert answer.headers["content-type"] == "application/problem+json"
        assert (answer.json()["code"], answer.headers["retry-after"]) == ("unavailable", "5")
        refused = cli(home, work, "set", "PORT=3")
        assert refused.returncode == 5
        assert "error: the server's database does not answer" in refused.stderr
        assert "hint: retry in a moment" in refused.stderr
        ran = cli(home, work, "run", "--", "sh", "-c", 'printf %s "$PORT"')
        assert (ran.returncode, ran.stdout) == (0, "2"), ran.stderr  # the kept copy
        assert "the server answers, but its database does not" in ran.stderr
        down = _log_after(server, before)
        assert [line["event"] for line in down].count("database unavailable") == 1
        assert not [line for line in down if "exception" in line or "Traceback" in str(line)]
        assert sum(line.get("status") == 503 for line in down) >= 4  # one line each, no more

        own_postgres.resume()
        back = len(server.log.read_text().splitlines())
        cli_ok(home, work, "set", "PORT=4")  # the pool's dead connections replaced, no restart
        assert httpx.get(f"{server.url}/readyz", timeout=10).status_code == 200
        assert cli_ok(home, work, "run", "--", "sh", "-c", 'printf %s "$PORT"') == "4"
        versions = [row.split()[0] for row in cli_ok(home, work, "history", "PORT").splitlines()]
        assert versions == ["VERSION", "1", "2", "3"]  # the refused write left no version
        verified = cli(home, work, "audit", "verify")
        assert (verified.returncode, verified.stderr.split(":")[0]) == (0, "intact")
        again = [line for line in _log_after(server, back) if "failed_requests" in line]
        assert [line["event"] for line in again] == ["database available again"]
    finally:
        server.stop()
