"""Which proxy, if any, carries the client's requests to a server: as httpx and curl choose it.

``HTTPS_PROXY`` for an https:// server, ``HTTP_PROXY`` for an http:// one, ``ALL_PROXY`` for
either when that one is unset (each also in lower case, which wins); ``NO_PROXY`` names the
hosts reached directly: ``*`` (all), a domain and its subdomains (``example.com``,
``.example.com`` and ``*.example.com`` alike, as curl, requests and Go read them), an IP
address (as an address, not as text: ``0:0:0:0:0:0:0:1`` names ``[::1]``) or ``localhost``,
any of these with ``:port`` (``[::1]:8600`` for IPv6; the scheme's own port when the server's
URL names none), an IP range (``10.0.0.0/8``, a server
named by its address only: no name is resolved to match one), or a ``scheme://host[:port]``; an
entry that names no host is skipped. As httpx does it, 127.0.0.1 and localhost are proxied too
unless ``NO_PROXY`` names them. The client chooses the route itself (not httpx) so that an
error can name the proxy it went through, and so that its own transport (`transport`) carries
it. Only HTTP proxies (http:// or https://) are supported: a SOCKS one is refused by name.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.client._httpx import httpx
from envkeep.core.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Mapping


@dataclass(frozen=True)
class Proxy:
    """A proxy a server is reached through, and the variable that named it."""

    url: httpx.URL
    named_by: str

    @property
    def shown(self) -> str:
        """The proxy's ``scheme://host:port``, without any credentials its URL carries."""
        return f"{self.url.scheme}://{self.url.netloc.decode().rpartition('@')[2]}"


def proxy_for(server: str, found: Mapping[str, str]) -> Proxy | None:
    """The proxy ``server`` (a URL) is reached through, given the variables ``found``
    (``urllib.request.getproxies()``: keys http, https, all, no); None: directly."""
    url = httpx.URL(server)
    if _bypassed(url, found.get("no", "")):
        return None
    for key in (url.scheme, "all"):
        given = found.get(key, "").strip()
        if given:
            return _proxy(given, f"{key.upper()}_PROXY", url.host)
    return None


def _proxy(given: str, named_by: str, host: str) -> Proxy:
    try:
        url = httpx.URL(given if "://" in given else f"http://{given}")
    except httpx.InvalidURL:  # its text is not shown: it may hold the proxy's password
        raise UsageError(
            f"{named_by} is not a proxy URL envkeep can read",
            hint=f"set {named_by} to http://[user:password@]host:port, or add {host} to"
            " NO_PROXY to go direct",
        ) from None
    if url.scheme not in {"http", "https"}:
        raise UsageError(
            f"{named_by} names a {url.scheme}:// proxy; envkeep supports HTTP proxies only",
            hint=f"set {named_by} to an http:// proxy, or add {host} to NO_PROXY to go direct",
        )
    return Proxy(url, named_by)


def _bypassed(url: httpx.URL, no_proxy: str) -> bool:
    """Whether ``NO_PROXY`` (``no_proxy``) names ``url``'s host (curl's and httpx's rules)."""
    for entry in (e.strip() for e in no_proxy.split(",")):
        if entry == "*":
            return True
        if entry and _names(entry, url):
            return True
    return False


def _names(entry: str, url: httpx.URL) -> bool:
    if "/" in entry and "://" not in entry:
        return _in_range(entry, url.host)
    if _is_ip(entry) or entry.lower() == "localhost":
        return _same_host(entry.strip("[]").lower(), url.host)
    pattern = _entry_pattern(entry)
    if pattern is None or pattern.scheme not in {"all", url.scheme}:
        return False
    if pattern.port is not None and pattern.port != _port(url):
        return False
    return _host_matches(pattern.host, url.host)


def _entry_pattern(entry: str) -> httpx.URL | None:
    """A NO_PROXY entry naming hosts by name or with a port, as httpx's proxy-key pattern."""
    if "://" in entry:
        return _pattern(entry)
    if entry.startswith("["):  # an IPv6 address with a port, as Go reads `[::1]:8600`
        return _pattern(f"all://{entry}")
    # a domain: curl's and requests' `.corp.io`, Go's `*.corp.io`, all as `corp.io`
    domain = entry.lstrip("*").lstrip(".")
    return _pattern(f"all://*{domain}") if domain else None  # `.` names no host


def _port(url: httpx.URL) -> int | None:
    """``url``'s port, its scheme's default when it names none (httpx leaves 443 out of
    ``https://corp.io:443``): `corp.io:443` in NO_PROXY names ``https://corp.io``, as in Go."""
    return url.port or _DEFAULT_PORTS.get(url.scheme)


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _pattern(text: str) -> httpx.URL | None:
    """``text`` as a URL, None when it is not one (``corp.io:abc``): curl skips such an entry,
    and it named no host this client could be going to."""
    try:
        return httpx.URL(text)
    except httpx.InvalidURL:
        return None


def _host_matches(pattern: str, host: str) -> bool:
    """``*.example.com``: subdomains only; ``*example.com``: the domain and its subdomains."""
    if pattern in {"", "*"}:
        return True
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    if pattern.startswith("*"):
        return host == pattern[1:] or host.endswith(f".{pattern[1:]}")
    return _same_host(pattern, host)


def _same_host(named: str, host: str) -> bool:
    """Whether ``named`` (from NO_PROXY) is ``host``: two IP addresses as addresses, however
    written (``0:0:0:0:0:0:0:1`` is ``::1``), anything else as text."""
    try:
        return ipaddress.ip_address(named) == ipaddress.ip_address(host)
    except ValueError:  # a name on either side
        return named == host


def _in_range(entry: str, host: str) -> bool:
    """Whether ``host``, an IP address, is in the range ``entry`` (``10.0.0.0/8``)."""
    try:
        return ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False)
    except ValueError:  # a name, not an address; or not a range
        return False


def _is_ip(entry: str) -> bool:
    try:
        ipaddress.ip_address(entry.strip("[]"))
    except ValueError:
        return False
    return True
