"""The key every per-IP limit counts a client under (the request limit in `Observe`, the
login throttle's per-IP bucket): an IPv4 address as it is, an IPv4-mapped IPv6 one as the
IPv4 address it maps, and any other IPv6 address as its /64.

A /64 is what one IPv6 subscriber or host is given (RFC 6177; SLAAC picks the other 64 bits
itself): keyed by the full address, one client stepped through its 2^64 addresses and got a
fresh budget for each request. The cost: clients sharing a /64 share a budget, as clients
behind one IPv4 NAT do.
"""

from __future__ import annotations

import functools
import ipaddress

from envkeep.ipv4_mapped import unmapped

UNKNOWN = "unknown"  # every client whose address is unknown shares this one budget
IPV6_PREFIX = 64
_KEYS_KEPT = 4096  # peers repeat: a request's address is parsed once, not on every request


@functools.lru_cache(maxsize=_KEYS_KEPT)
def address_key(host: str | None) -> str:
    """The per-IP limits' key for a client at ``host`` (its address as the request gives
    it; None: unknown); text that is no IP address is its own key."""
    if not host:
        return UNKNOWN
    try:
        address = unmapped(ipaddress.ip_address(host))
    except ValueError:  # a unix socket's peer, or a test client's name
        return host
    if isinstance(address, ipaddress.IPv6Address):
        network = ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False)
        return str(network)
    return str(address)
