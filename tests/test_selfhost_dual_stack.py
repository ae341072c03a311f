"""`envkeep server --host ::` takes IPv4 clients as well as IPv6 ones (asyncio's own binding
was IPv6 only, and 127.0.0.1 was refused), and an IPv4 client is logged under its own address,
not ``::ffff:127.0.0.1``; a real server process."""

from __future__ import annotations

import re
import socket
import time
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.server import start_server

if TYPE_CHECKING:
    from pathlib import Path


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return socket.has_dualstack_ipv6()


pytestmark = pytest.mark.skipif(
    not _ipv6_loopback(), reason="no IPv6 loopback or no dual-stack sockets here"
)


def test_the_any_ipv6_address_serves_ipv4_and_ipv6_clients(tmp_path: Path) -> None:
    # The last --host wins: the server binds ::, and start_server waits on 127.0.0.1.
    server = start_server(tmp_path, None, "--host", "::")
    try:
        port = server.url.rpartition(":")[2]
        over_ipv4 = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        over_ipv6 = httpx.get(f"http://[::1]:{port}/healthz", timeout=5)
        assert over_ipv4.status_code == over_ipv6.status_code == 200
        ipv4_id = over_ipv4.headers["x-request-id"]
        deadline = time.monotonic() + 10
        while ipv4_id not in (logged := server.log.read_text()) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert f'"address": "[::]:{port}"' in logged
        (line,) = [line for line in logged.splitlines() if ipv4_id in line]
        assert re.search(r'"ip": "127\.0\.0\.1"', line), line
    finally:
        server.stop()
