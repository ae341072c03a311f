"""NO_PROXY as curl, requests and Go read it (`client/proxies`): `.corp.io` and `*.corp.io` name
corp.io and its subdomains as `corp.io` does, an IP range names the addresses in it, and an
entry that is no host (`corp.io:abc`) is skipped instead of failing every command."""

from __future__ import annotations

import socket

import pytest

from envkeep.client.api_client import ApiClient
from envkeep.client.proxies import proxy_for
from tests.hostile_server import Handler, reply, serving

_ALL = "http://a:2"


@pytest.mark.parametrize(
    ("server", "no_proxy", "proxied"),
    [
        ("https://corp.io", ".corp.io", False),
        ("https://vault.corp.io", ".corp.io", False),
        ("https://corp.io", "*.corp.io", False),
        ("https://vault.corp.io", "*.corp.io", False),
        ("https://a.b.corp.io", "*.corp.io", False),
        ("https://notcorp.io", "*.corp.io", True),
        ("https://notcorp.io", ".corp.io", True),
        ("https://corp.io.evil.com", ".corp.io", True),
        ("http://10.1.2.3:8600", "10.0.0.0/8", False),
        ("http://11.1.2.3:8600", "10.0.0.0/8", True),
        ("http://[fd00::5]:8600", "fd00::/8", False),
        ("http://10.1.2.3", "fd00::/8", True),
        ("http://vault.corp.io", "10.0.0.0/8", True),  # a name is not resolved to match one
        ("https://vault.corp.io", "corp.io:abc", True),
        ("https://vault.corp.io", "corp.io:abc, .corp.io", False),
        ("https://vault.corp.io", "http://[bad, vault.corp.io", False),
        ("https://vault.corp.io", ".", True),
        ("https://vault.corp.io", "*.", True),
        ("https://vault.corp.io", "10.0.0.0/99", True),
    ],
)
def test_no_proxy_names_what_curl_and_requests_go_direct_to(
    server: str, no_proxy: str, proxied: bool
) -> None:
    chosen = proxy_for(server, {"all": _ALL, "no": no_proxy})

    assert (chosen is not None) == proxied


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _json(handler: Handler, _body: bytes) -> None:
    reply(handler, 200, [("Content-Type", "application/json")], b'["direct"]')


def test_a_server_in_a_no_proxy_range_is_reached_directly_past_a_proxy_that_is_down() -> None:
    down = f"http://127.0.0.1:{_closed_port()}"
    with serving(_json) as (url, seen):
        api = ApiClient(url, proxies={"http": down, "no": "corp.io:abc, 127.0.0.0/8"})
        got = api.request("GET", "/v1/workspaces/w/projects")
        api.close()

    assert got == ["direct"]
    assert seen == [("GET", "/v1/workspaces/w/projects")]
