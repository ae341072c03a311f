"""A NO_PROXY entry with a port names a server at that port, the scheme's default one
included: ``corp.io:443`` is ``https://corp.io`` (httpx leaves the default port out of a URL,
so the entry named nothing and the proxy the user meant to skip was used), and an IPv6
address with a port is written in brackets (``[::1]:8600``), as Go reads them."""

from __future__ import annotations

import pytest

from envkeep.client.proxies import proxy_for

_ALL = "http://a:2"


@pytest.mark.parametrize(
    ("server", "no_proxy", "proxied"),
    [
        ("https://corp.io", "corp.io:443", False),
        ("https://corp.io:443", "corp.io:443", False),
        ("https://vault.corp.io", ".corp.io:443", False),
        ("http://corp.io", "corp.io:80", False),
        ("http://corp.io", "corp.io:443", True),
        ("https://corp.io", "corp.io:8443", True),
        ("https://corp.io:8443", "corp.io:8443", False),
        ("http://[::1]:8600", "[::1]:8600", False),
        ("http://[::1]:8601", "[::1]:8600", True),
        ("http://[::1]:8600", "[::1]", False),
        ("http://[::2]:8600", "[::1]:8600", True),
        ("http://[::1]:8600", "[::1:8600", True),
    ],
)
def test_a_no_proxy_port_names_the_servers_on_that_port(
    server: str, no_proxy: str, proxied: bool
) -> None:
    chosen = proxy_for(server, {"all": _ALL, "no": no_proxy})

    assert (chosen is not None) == proxied
