"""`envkeep server` tells its JSON log when it serves and when it has stopped, and a request
still running at SIGTERM cannot hold the process past Kubernetes' grace period."""

from __future__ import annotations

import json
import socket
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import uvicorn
from fastapi import FastAPI

from envkeep import __version__
from envkeep.api import listening, serve
from envkeep.api.uvicorn_server import LoggedServer
from envkeep.api.uvicorn_settings import GRACEFUL_SHUTDOWN_SECONDS, UVICORN_SETTINGS
from envkeep.server_settings import ServerSettings
from envkeep.store.engine import sqlite_url
from tests.server import TeamServer, start_server

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def _json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_the_server_logs_a_json_line_when_it_serves_and_when_it_stopped(tmp_path: Path) -> None:
    database = sqlite_url(tmp_path / "server.db")
    server = start_server(tmp_path, database)
    server.stop()  # SIGTERM
    logged = _json_lines(server.log.read_text())
    events = [line["event"] for line in logged]
    assert events[0] == "server_started"
    assert events[-1] == "server_stopped"
    assert "request" in events  # the same stream as the request lines
    started, stopped = logged[0], logged[-1]
    address = server.url.removeprefix("http://")
    assert started["version"] == __version__
    assert started["address"] == stopped["address"] == address
    assert started["database"] == database
    assert started["rate_store"] == "memory"
    assert 0 <= stopped["seconds"] < GRACEFUL_SHUTDOWN_SECONDS


def test_the_start_line_says_the_rate_and_the_trusted_proxies_in_force(tmp_path: Path) -> None:
    """What an operator checks after putting a proxy in front: without the proxies named,
    every client shares the proxy's rate-limit bucket."""
    server = start_server(
        tmp_path, None, "--rate", "7", "--trusted-proxies", "127.0.0.1, 10.0.0.0/8"
    )
    server.stop()
    started = _json_lines(server.log.read_text())[0]
    assert (started["rate"], started["trusted_proxies"]) == (7.0, ["127.0.0.1", "10.0.0.0/8"])
    off = start_server(tmp_path / "off", None, "--rate", "0")
    off.stop()
    started = _json_lines(off.log.read_text())[0]
    assert (started["rate"], started["trusted_proxies"]) == ("off", [])


def test_the_start_line_shows_the_database_without_its_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ran: list[LoggedServer] = []

    def run(self: LoggedServer, sockets: object = None) -> None:
        ran.append(self)
        self.started = True

    monkeypatch.setattr(LoggedServer, "run", run)
    # Nothing process-wide for the test run: no uvicorn logging set-up (`run_app` leaves
    # structlog's to its caller), no frozen heap.
    monkeypatch.setattr(serve, "settle_heap", lambda: None)
    monkeypatch.setattr(uvicorn.Config, "configure_logging", lambda _self: None)
    serve.run_app(
        FastAPI(),
        serve.ServerStart(
            ServerSettings(db="postgresql://envkeep:pw-x9@db/envkeep", rate_store="database"),
            listening=(),
        ),
    )
    (server,) = ran
    assert server.facts["database"] == "postgresql://…@db/envkeep"
    assert server.facts["rate_store"] == "database"
    # Running requests get this long after SIGTERM, then are cancelled: inside Kubernetes'
    # default 30 s grace, with room for the rest of the shutdown.
    assert isinstance(server.config, uvicorn.Config)
    assert server.config.timeout_graceful_shutdown == GRACEFUL_SHUTDOWN_SECONDS
    assert UVICORN_SETTINGS["timeout_graceful_shutdown"] <= 25


def _wait_for_active_requests(server: TeamServer, count: int) -> None:
    """Until ``count`` requests are in flight (the metrics' own scrape among them)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if f"envkeep_requests_active {float(count)}" in httpx.get(f"{server.url}/metrics").text:
            return
        time.sleep(0.05)
    raise AssertionError(f"{count - 1} request(s) never reached the server")


def test_a_request_still_running_is_cancelled_at_the_shutdown_timeout(tmp_path: Path) -> None:
    server = start_server(tmp_path, None, "--shutdown-timeout", "1")
    where = urlsplit(server.url)
    with socket.create_connection((where.hostname, where.port), timeout=30) as upload:
        upload.sendall(  # a body that never comes: the route waits for it
            b"POST /v1/auth/prelogin HTTP/1.1\r\nHost: envkeep\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
        )
        _wait_for_active_requests(server, 2)
        began = time.monotonic()
        server.process.terminate()
        server.process.wait(15)
        took = time.monotonic() - began
    assert took < 10, f"stopped after {took:.1f} s"  # not the default 20 s
    written = server.log.read_text()
    logged = _json_lines(written)
    assert logged[0]["shutdown_timeout"] == 1
    assert logged[-1]["event"] == "server_stopped"
    assert 1 <= logged[-1]["seconds"] < 10  # 1 s asked; a loaded host adds its own delay
    # uvicorn's own lines are JSON too, its traceback of the cancelled request one field.
    plain = [line for line in written.splitlines() if not line.startswith("{")]
    assert [line.split(" (")[0] for line in plain] == [f"envkeep server on {server.url}"]
    uvicorn_lines = [line for line in logged if line.get("logger", "").startswith("uvicorn")]
    cancelled = [line for line in uvicorn_lines if "exception" in line]
    assert cancelled, uvicorn_lines  # how many lines uvicorn writes is its own affair
    assert all(line["level"] == "error" for line in cancelled)
    assert "timeout graceful shutdown exceeded" in cancelled[0]["exception"]
    assert "CancelledError" in cancelled[0]["exception"]


def test_an_ipv6_address_is_written_in_brackets_in_the_start_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`--host ::` was announced as http://:::8600, which no client takes."""
    ran: list[LoggedServer] = []

    def run(self: LoggedServer, sockets: object = None) -> None:
        ran.append(self)
        self.started = True

    monkeypatch.setattr(LoggedServer, "run", run)
    monkeypatch.setattr(serve, "settle_heap", lambda: None)
    monkeypatch.setattr(uvicorn.Config, "configure_logging", lambda _self: None)
    start = serve.ServerStart(ServerSettings(host="::", db="sqlite:////x.db"), listening=())
    serve.run_app(FastAPI(), start)
    (server,) = ran
    assert server.facts["address"] == "[::]:8600"
    assert listening.address("127.0.0.1", 8600) == "127.0.0.1:8600"
