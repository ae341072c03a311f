"""A trusted proxy written in its IPv4-mapped form (``::ffff:10.0.0.5``, as a dual-stack
socket, nginx or ``ss`` show it) in --trusted-proxies is the IPv4 proxy it maps: peers are
matched as IPv4 addresses (``forwarded.ip_address``), so such an entry was accepted and then
named no proxy at all, and every client behind it seemed to be the proxy."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from envkeep.api.forwarded import ForwardedClient


def _client_seen(trusted: str, peer: str) -> Any:
    seen: dict[str, Any] = {}

    async def app(scope: Any, _receive: Any, _send: Any) -> None:
        seen["client"] = scope["client"]

    scope = {
        "type": "http",
        "client": (peer, 5000),
        "headers": [(b"x-forwarded-for", b"203.0.113.7")],
    }
    asyncio.run(ForwardedClient(app, trusted)(scope, None, None))  # type: ignore[arg-type]
    return seen["client"][0]


@pytest.mark.parametrize("peer", ["10.0.0.5", "::ffff:10.0.0.5"])
@pytest.mark.parametrize("trusted", ["::ffff:10.0.0.5", "::ffff:10.0.0.0/104", "::ffff:0:0/96"])
def test_a_trusted_proxy_written_ipv4_mapped_is_believed(trusted: str, peer: str) -> None:
    assert _client_seen(trusted, peer) == "203.0.113.7"


def test_a_mapped_network_still_names_only_the_addresses_it_maps() -> None:
    assert _client_seen("::ffff:10.0.0.0/104", "11.0.0.5") == "11.0.0.5"
    # (an untrusted peer is left as it came: `listening.IPv4Peers` unmaps it before this)
    assert _client_seen("::ffff:10.0.0.0/104", "::ffff:11.0.0.5") == "::ffff:11.0.0.5"


def test_every_ipv6_address_trusted_takes_the_ipv4_ones_it_holds_mapped() -> None:
    assert _client_seen("::/0", "10.0.0.5") == "203.0.113.7"
    assert _client_seen("::/0", "2001:db8::5") == "203.0.113.7"
    assert _client_seen("2001:db8::/32", "10.0.0.5") == "10.0.0.5"
