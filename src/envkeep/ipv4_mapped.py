"""An IPv4 client of an IPv6 socket as the IPv4 address it is: ``::ffff:10.0.0.5`` is
10.0.0.5, to the peer a dual-stack listener gives the app (`api/listening.IPv4Peers`), to the
per-IP limits (`api/rate_keys`), to `--trusted-proxies` (`api/forwarded`) and to the check
that two listening addresses collide (`server_values`). One rule, here."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, IPv6Network

MAPPED = IPv6Network("::ffff:0:0/96")  # IPv4 addresses as an IPv6 socket shows them


def unmapped(address: IPv4Address | IPv6Address) -> IPv4Address | IPv6Address:
    """``address``, or the IPv4 address it maps if it is IPv4-mapped (``::ffff:0:0/96``)."""
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
