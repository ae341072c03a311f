"""One rule turns an IPv4-mapped IPv6 address into its IPv4 address (`envkeep.ipv4_mapped`):
the per-IP limits, --trusted-proxies and the listening-address check each had their own, and
the dual-stack listener's peers (`listening.IPv4Peers`) cut a ``::ffff:`` prefix off the text."""

from __future__ import annotations

import ast
import re
from ipaddress import IPv4Address, IPv6Address, ip_address
from pathlib import Path

import pytest

import envkeep
from envkeep.api.listening import peer_host
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


@pytest.mark.parametrize(
    ("given", "seen"),
    [
        ("::ffff:10.0.0.5", "10.0.0.5"),
        ("::ffff:a00:5", "10.0.0.5"),  # the same address, written in hex: the kernel may
        ("::1", "::1"),
        ("2001:db8::ffff:a00:5", "2001:db8::ffff:a00:5"),
        ("testclient", "testclient"),  # no address: as it came
    ],
)
def test_a_dual_stack_listeners_peer_is_unmapped_by_the_one_rule(given: str, seen: str) -> None:
    assert peer_host(given) == seen


def _code_strings(source: str) -> list[str]:
    """The string constants of ``source`` that are code, not docstrings."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def _unmaps_itself(source: str) -> bool:
    """Reads an address's ``ipv4_mapped`` itself, or matches the ``::ffff:`` prefix."""
    attribute = re.search(r"(?<!envkeep)\.ipv4_mapped\b", source)
    return bool(attribute) or any("::ffff:" in text.lower() for text in _code_strings(source))


def test_the_check_sees_an_address_unmapped_by_its_prefix() -> None:
    assert _unmaps_itself('peer.startswith("::ffff:")')
    assert _unmaps_itself('peer.removeprefix("::FFFF:")')
    assert _unmaps_itself("address.ipv4_mapped or address")
    assert not _unmaps_itself('"""An IPv4 client comes as ``::ffff:192.0.2.7``."""')


def test_no_other_module_unmaps_an_address_itself() -> None:
    package = Path(envkeep.__file__).parent
    unmapping = sorted(
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if _unmaps_itself(path.read_text(encoding="utf-8"))
    )
    assert unmapping == ["ipv4_mapped.py"]
