"""The per-IP limits key an IPv6 client by its /64 (`api/rate_keys`): keyed by the full
address, a client stepping through its /64 (2^64 addresses, each its own) had a fresh budget
for every request, on the request limit and on the login throttle alike. A real server behind
a trusted proxy (127.0.0.1) that names each request's client in X-Forwarded-For."""

from __future__ import annotations

import base64
import os
from typing import TYPE_CHECKING

import httpx
import pytest

from envkeep.api.rate_keys import address_key
from tests.server import start_server

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("2001:db8:1:2::7", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::7", "2001:db8:1:3::/64"),
        ("::1", "::/64"),
        ("192.0.2.7", "192.0.2.7"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        (None, "unknown"),
        ("testclient", "testclient"),
    ],
)
def test_a_per_ip_key_is_an_ipv4_address_or_an_ipv6_slash_64(host: str | None, key: str) -> None:
    assert address_key(host) == key


def _statuses(url: str, clients: list[str]) -> list[int]:
    return [
        httpx.get(f"{url}/openapi.json", headers={"X-Forwarded-For": client}).status_code
        for client in clients
    ]


def test_an_ipv6_client_rotating_through_its_slash_64_shares_one_request_budget(
    tmp_path: Path,
) -> None:
    server = start_server(tmp_path, None, "--trusted-proxies", "127.0.0.1", "--rate", "1")
    try:
        one_prefix = _statuses(server.url, [f"2001:db8:1:2::{n:x}" for n in range(1, 13)])
        own_prefixes = _statuses(server.url, [f"2001:db8:2:{n:x}::1" for n in range(1, 13)])
    finally:
        server.stop()

    assert one_prefix[:4] == [200] * 4  # the burst: 4 requests at 1 a second
    assert 429 in one_prefix[4:]
    assert own_prefixes == [200] * 12  # each /64 its own client


def test_an_ipv6_client_rotating_through_its_slash_64_meets_the_login_throttle(
    tmp_path: Path,
) -> None:
    server = start_server(tmp_path, None, "--trusted-proxies", "127.0.0.1")
    key = base64.b64encode(os.urandom(32)).decode()
    answers: list[httpx.Response] = []
    try:
        for n in range(1, 31):  # each a different account: only the per-IP bucket is shared
            login = {"email": f"guess{n}@x.io", "auth_key": key}
            headers = {"X-Forwarded-For": f"2001:db8:1:2::{n:x}"}
            answers.append(httpx.post(f"{server.url}/v1/auth/login", json=login, headers=headers))
    finally:
        server.stop()

    codes = [answer.status_code for answer in answers]
    assert codes[:25] == [401] * 25  # 5 at a cost of 0.2 each
    assert 429 in codes[25:]
    refused = answers[codes.index(429)]
    said = "too many login attempts from this address (the login throttle)"
    assert refused.json()["title"] == said
