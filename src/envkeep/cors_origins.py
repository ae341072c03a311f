"""What `envkeep server --cors-origin` takes: web origins, checked and written as browsers send
them in the ``Origin`` header (scheme and host in lower case, no default port), so that the
server compares exact strings.

An origin is ``http`` or ``https``, a host, and a port when not the scheme's default: nothing
else, not even a trailing ``/``. A wildcard is refused wherever it is written (``*``,
``https://*.example.com``): the API's callers hold bearer tokens, and an origin allowed is a web
page trusted to act with one.
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING

from envkeep.core.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["checked_origin", "checked_origins"]

_DEFAULT_PORTS = {"http": 80, "https": 443}
_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_HOST_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_HOST_AND_PORT = re.compile(r"(?P<host>\[[^\]]*\]|[^:]*)(?::(?P<port>.*))?")
_PORT = re.compile(r"[0-9]{1,5}")
_EXAMPLE = "e.g. https://app.example.com or http://localhost:3000"


def checked_origins(texts: Iterable[str], where: str) -> tuple[str, ...]:
    """Each of ``texts`` as an origin (blank ones left out, each origin once, in order); a
    UsageError naming ``where`` and the value for one that is not an origin."""
    found = [checked_origin(text, where) for text in texts if text.strip()]
    return tuple(dict.fromkeys(found))


def checked_origin(text: str, where: str) -> str:
    """``text`` as browsers write the origin; a UsageError naming ``where`` and ``text`` when
    it is not one, or is a wildcard."""
    text = text.strip()
    if "*" in text:
        raise UsageError(
            f"{where}: '{text}' is refused: a wildcard would let any web page call the API"
            " from its visitors' browsers, with a user's bearer token wherever the page holds one",
            hint=f"name each web app that may call the API, scheme and host: {_EXAMPLE}",
        )
    try:
        scheme, host, port = _parts(text)
    except ValueError as wrong:
        raise UsageError(
            f"{where}: '{text}' is not a web origin: {wrong}",
            hint=f"give the scheme, the host and a port if not the default, {_EXAMPLE}",
        ) from None
    default = port is None or port == _DEFAULT_PORTS[scheme]
    return f"{scheme}://{host}" if default else f"{scheme}://{host}:{port}"


def _parts(text: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) in lower case, an IPv6 host in brackets; a ValueError saying why
    ``text`` is not an origin."""
    scheme, separator, rest = text.partition("://")
    scheme = scheme.lower()
    if not separator or scheme not in _DEFAULT_PORTS:
        raise ValueError("it must start with http:// or https://")
    if any(mark in rest for mark in "/?#"):
        raise ValueError(
            "it has a path, query or fragment (an origin has none, not even a final /)"
        )
    if "@" in rest:
        raise ValueError("it has a user name (an origin has none)")
    found = _HOST_AND_PORT.fullmatch(rest.lower())
    host = found["host"] if found else ""
    if not host.isascii():
        raise ValueError("its host is not ASCII (write an international name in its xn-- form)")
    if _HOST_NAME.fullmatch(host):
        _refuse_loose_ipv4(host)
    else:
        host = _ipv6(host)
    port = found["port"] if found else None
    if port is not None and not (_PORT.fullmatch(port) and 0 < int(port) < 65536):
        raise ValueError("its port is not a number from 1 to 65535")
    return scheme, host, None if port is None else int(port)


def _refuse_loose_ipv4(host: str) -> None:
    """A host browsers read as an IPv4 address (its last label a number, or hex) is one only
    in its four-decimal form: ``127.1`` or ``0x7f.0.0.1`` would be sent as ``127.0.0.1`` and
    never match."""
    last = host.rsplit(".", 1)[-1]
    if not (last.isdigit() or last.startswith("0x")):
        return
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        raise ValueError(
            "its host reads as an IPv4 address but is not one as browsers write it (four"
            " decimal numbers, e.g. 127.0.0.1)"
        ) from None


def _ipv6(host: str) -> str:
    """An IPv6 address in brackets as browsers write it (``[::1]``); a ValueError for
    anything else."""
    try:
        if host.startswith("[") and host.endswith("]") and "%" not in host:  # no zone id
            return f"[{ipaddress.IPv6Address(host[1:-1]).compressed}]"
    except ValueError:
        pass
    raise ValueError("it names no host (letters, digits, '-' and '.', or an IP address)")
