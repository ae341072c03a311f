"""NO_PROXY's IP addresses are compared as addresses, not as text: `0:0:0:0:0:0:0:1` names a
server at `[::1]` (it was proxied: the texts differ), in a `scheme://host` or `[host]:port`
entry too; a different address is still proxied."""

from __future__ import annotations

import socket
import threading
from http.server import ThreadingHTTPServer

import pytest

from envkeep.client.api_client import ApiClient
from envkeep.client.proxies import proxy_for
from tests.hostile_server import Handler, reply

_ALL = "http://a:2"


@pytest.mark.parametrize(
    ("server", "no_proxy", "proxied"),
    [
        ("http://[::1]:8600", "0:0:0:0:0:0:0:1", False),
        ("http://[::1]:8600", "[0:0:0:0:0:0:0:1]", False),
        ("http://[::1]:8600", "::0001", False),
        ("http://[0:0:0:0:0:0:0:1]:8600", "::1", False),
        ("http://[fd00::5]", "FD00:0:0::5", False),
        ("http://[fd00::5]", "http://[fd00:0::5]", False),
        ("http://[::1]:8600", "[0:0::1]:8600", False),
        ("http://[::1]:8600", "[0:0::1]:8700", True),
        ("http://[::2]:8600", "0:0:0:0:0:0:0:1", True),
        ("http://127.0.0.1", "127.0.0.2", True),
        ("http://127.0.0.1", "127.0.0.1", False),
    ],
)
def test_a_no_proxy_address_names_the_same_address_however_written(
    server: str, no_proxy: str, proxied: bool
) -> None:
    chosen = proxy_for(server, {"all": _ALL, "no": no_proxy})

    assert (chosen is not None) == proxied


class _LoopbackSix(ThreadingHTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("::1", 0), Handler)
        self.answer = _direct
        self.seen: list[tuple[str, str]] = []


def _direct(handler: Handler, _body: bytes) -> None:
    reply(handler, 200, [("Content-Type", "application/json")], b'["direct"]')


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_server_at_ipv6_loopback_is_reached_directly_when_no_proxy_spells_it_out() -> None:
    down = f"http://127.0.0.1:{_closed_port()}"  # a proxy that is not there: fails if used
    server = _LoopbackSix()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://[::1]:{server.server_address[1]}"
        api = ApiClient(url, proxies={"http": down, "no": "0:0:0:0:0:0:0:1"})
        got = api.request("GET", "/v1/workspaces/w/projects")
        api.close()
    finally:
        server.shutdown()
        server.server_close()

    assert got == ["direct"]
    assert server.seen == [("GET", "/v1/workspaces/w/projects")]
