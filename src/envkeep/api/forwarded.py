"""The client's address behind trusted proxies: `X-Forwarded-For`, believed only from a
proxy the server trusts (`--trusted-proxies`), and only where it names an IP address.

uvicorn's own proxy layer took the nearest entry that was not a trusted proxy, whatever it
held: a trusted hop that passed on `X-Forwarded-For: anything` (a pod of a trusted pod
network that calls the server directly, a proxy that forwards the header it was sent) had
`anything` recorded as the client's address in the audit trail and the log, and used as its
per-IP rate-limit key; on PostgreSQL an entry over 64 characters (`audit_events.ip`) failed
every audited request with a 500. Here the walk from the nearest hop stops at an entry that
is no IP address: the client is then the last hop known, the trusted one that passed it on.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from envkeep.ipv4_mapped import MAPPED, unmapped

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from starlette.types import ASGIApp, Receive, Scope, Send

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class ForwardedClient:
    """ASGI layer: a request from a trusted proxy gets the client its `X-Forwarded-For`
    names (and the scheme its `X-Forwarded-Proto` names); any other keeps its peer."""

    def __init__(self, app: ASGIApp, trusted_proxies: str) -> None:
        self.app = app
        self.networks = tuple(
            network
            for item in trusted_proxies.split(",")
            if item.strip()
            for network in _as_matched(ipaddress.ip_network(item.strip(), strict=False))
        )

    def trusts(self, address: Address) -> bool:
        """Whether ``address`` is one of the proxies named."""
        return any(address in network for network in self.networks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        peer = scope.get("client")
        if scope["type"] == "http" and peer and _trusted_peer(peer[0], self.trusts):
            headers: list[tuple[bytes, bytes]] = scope["headers"]
            scope = dict(scope)
            client = forwarded_client(
                (value.decode("latin-1") for name, value in headers if name == b"x-forwarded-for"),
                self.trusts,
            )
            if client is not None:
                scope["client"] = (client, 0)
            for name, value in headers:
                if name == b"x-forwarded-proto" and value.strip() in (b"http", b"https"):
                    scope["scheme"] = value.strip().decode("ascii")
        await self.app(scope, receive, send)


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _as_matched(network: Network) -> tuple[Network, ...]:
    """``network`` as addresses are matched against it: IPv4-mapped addresses are matched as
    the IPv4 ones they map (`ip_address`), so ``::ffff:10.0.0.5`` (or ``::/0``) in
    --trusted-proxies names 10.0.0.5 (or every IPv4 address) too, else it named none."""
    if not isinstance(network, ipaddress.IPv6Network) or not network.overlaps(MAPPED):
        return (network,)
    if network.subnet_of(MAPPED):
        mapped = unmapped(network.network_address)
        return (ipaddress.IPv4Network((mapped, network.prefixlen - 96)),)
    return (network, ipaddress.IPv4Network("0.0.0.0/0"))


def _trusted_peer(host: str, trusts: Callable[[Address], bool]) -> bool:
    peer = ip_address(host)
    return peer is not None and trusts(peer)


def forwarded_client(values: Iterable[str], trusts: Callable[[Address], bool]) -> str | None:
    """The client `X-Forwarded-For` ``values`` name: the nearest entry that is not a trusted
    proxy, else the farthest one (all trusted: the client is a proxy itself); the walk stops
    at an entry that is no IP address, leaving the hop that passed it on. None: no entry to
    believe (the peer stays the client)."""
    entries = [entry.strip() for value in values for entry in value.split(",")]
    found: str | None = None
    for entry in reversed(entries):
        address = ip_address(_without_port(entry))
        if address is None:
            break
        found = str(address)
        if not trusts(address):
            break
    return found


def ip_address(text: str) -> Address | None:
    """``text`` as an IP address, None when it is none (a name, `unknown`, text of any
    length; an IPv6 zone, which means nothing off the proxy's own link)."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id is not None:
            return None
        # A dual-stack listener (--host ::) sees an IPv4 peer as ::ffff:10.0.0.5, which no
        # IPv4 network of --trusted-proxies holds: the IPv4 address it maps.
        return unmapped(address)
    return address


def _without_port(entry: str) -> str:
    """``1.2.3.4:5678`` -> ``1.2.3.4``, ``[::1]:80`` -> ``::1``; anything else as it is."""
    if entry.startswith("["):
        host, bracket, _port = entry[1:].partition("]")
        return host if bracket else entry
    if entry.count(":") == 1:
        return entry.partition(":")[0]
    return entry
