"""One rule turns an IPv4-mapped IPv6 address into its IPv4 address (`envkeep.ipv4_mapped`):
the per-IP limits, --trusted-proxies and the listening-address check each had their own."""

from __future__ import annotations

import re
from ipaddress import IPv4Address, IPv6Address, ip_address
from pathlib import Path

import pytest

import envkeep
from envkeep.ipv4_mapped import unmapped


@pytest.mark.parametrize(
    ("given", "seen"),
    [
        ("::ffff:10.0.0.5", IPv4Address("10.0.0.5")),
        ("::ffff:0a00:0005", IPv4Address("10.0.0.5")),
        ("::ffff:0.0.0.0", IPv4Address("0.0.0.0")),  # noqa: S104 - an address, not a bind
        ("10.0.0.5", IPv4Address("10.0.0.5")),
        ("::1", IPv6Address("::1")),
        ("::10.0.0.5", IPv6Address("::10.0.0.5")),  # IPv4-compatible, deprecated: not mapped
        ("64:ff9b::a00:5", IPv6Address("64:ff9b::a00:5")),  # NAT64: another host's address
        ("2001:db8::ffff:a00:5", IPv6Address("2001:db8::ffff:a00:5")),
    ],
)
def test_only_an_ipv4_mapped_address_becomes_the_ipv4_one_it_maps(
    given: str, seen: IPv4Address | IPv6Address
) -> None:
    assert unmapped(ip_address(given)) == seen
    assert type(unmapped(ip_address(given))) is type(seen)


def test_no_other_module_unmaps_an_address_itself() -> None:
    package = Path(envkeep.__file__).parent
    unmapping = sorted(
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if re.search(r"(?<!envkeep)\.ipv4_mapped\b", path.read_text(encoding="utf-8"))
    )
    assert unmapping == ["ipv4_mapped.py"]
