"""A stop asked for with SIGTERM (systemd, Kubernetes, `docker stop`) lets the running
requests finish and ends `envkeep server` with status 0, not killed by the signal (143)."""

from __future__ import annotations

import json
import socket
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from tests.server import start_server

if TYPE_CHECKING:
    from pathlib import Path

BODY = json.dumps({"email": "nobody@x.io", "auth_key": "A" * 43}).encode()


def _until_running(url: str, count: int) -> None:
    """Until ``count`` requests are in flight (the metrics' own scrape among them)."""
    deadline = time.monotonic() + 10
    while f"envkeep_requests_active {float(count)}" not in httpx.get(f"{url}/metrics").text:
        assert time.monotonic() < deadline, "the request never reached the server"
        time.sleep(0.05)


def test_sigterm_lets_a_running_request_finish_and_exits_with_status_0(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    where = urlsplit(server.url)
    with socket.create_connection((where.hostname, where.port), timeout=30) as login:
        login.sendall(  # half a body: the request runs until the rest comes
            b"POST /v1/auth/login HTTP/1.1\r\nHost: envkeep\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(BODY), BODY[:5])
        )
        _until_running(server.url, 2)
        server.process.terminate()
        time.sleep(0.5)  # the shutdown has begun: the request still gets its answer
        login.sendall(BODY[5:])
        answer = login.recv(200)
        status = server.process.wait(15)
    assert answer.startswith(b"HTTP/1.1 401 "), answer  # the route's own answer, not a 500
    assert status == 0
    assert json.loads(server.log.read_text().splitlines()[-1])["event"] == "server_stopped"


def test_sigterm_to_an_idle_server_exits_with_status_0(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    server.process.terminate()
    assert server.process.wait(15) == 0
