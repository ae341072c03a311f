"""A trusted IPv4 proxy reaching a dual-stack server (--host ::) arrives as an IPv4-mapped
IPv6 peer (::ffff:10.0.0.5): it is still the proxy --trusted-proxies 10.0.0.0/8 names, and
its X-Forwarded-For is believed (it was not: every client seemed to be the proxy)."""

from __future__ import annotations

from typing import Any

from envkeep.api.forwarded import ForwardedClient


async def _client_seen(peer: str, forwarded: bytes) -> Any:
    seen: dict[str, Any] = {}

    async def app(scope: Any, _receive: Any, _send: Any) -> None:
        seen["client"] = scope["client"]

    scope = {"type": "http", "client": (peer, 5000), "headers": [(b"x-forwarded-for", forwarded)]}
    await ForwardedClient(app, "10.0.0.0/8")(scope, None, None)  # type: ignore[arg-type]
    return seen["client"]


def test_an_ipv4_mapped_trusted_peer_passes_on_the_client_it_names() -> None:
    import asyncio

    assert asyncio.run(_client_seen("::ffff:10.0.0.5", b"203.0.113.7")) == ("203.0.113.7", 0)
    assert asyncio.run(_client_seen("::ffff:192.0.2.9", b"203.0.113.7")) == (
        "::ffff:192.0.2.9",
        5000,
    )
    assert asyncio.run(_client_seen("10.0.0.5", b"::ffff:203.0.113.7")) == ("203.0.113.7", 0)
