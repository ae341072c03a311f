"""A team server's address as the client compares and checks it: one spelling for two ways of
writing it, a scheme required, and the warning for plain http:// off this machine."""

from __future__ import annotations

import contextlib
import re

from envkeep.core.errors import UsageError


def bare_url(url: str) -> str:
    """A server's address as written, without spaces, a trailing ``/`` or the API's own prefix
    (``…/v1``, copied from a request), its scheme in lower case (``HTTPS://`` is ``https://``,
    RFC 3986 3.1), so that two spellings of one server compare equal."""
    scheme, sep, rest = url.strip().rstrip("/").removesuffix("/v1").partition("://")
    return f"{scheme.lower()}{sep}{rest}" if sep else scheme


def normalise_url(url: str) -> str:
    """``https://keep.example.com/`` → ``https://keep.example.com`` (`bare_url`); a URL needs a
    scheme."""
    url = bare_url(url)
    if not re.match(r"^https?://[^/\s]+", url):
        raise UsageError(f"'{url}' is not a server URL", hint="e.g. https://keep.example.com")
    return url


def cleartext_warning(
    url: str, *, carried: str = "the login proof and the session token"
) -> str | None:
    """What to tell a user about to talk to ``url`` over plain HTTP off this machine: what is
    ``carried`` would go over the network in clear. Values stay encrypted, but whoever sees a
    session token acts as the user on the server until it ends, and whoever sees a login proof
    logs in with it and may guess the passphrase from it offline. None for https:// and for
    loopback (127.0.0.0/8, ::1, localhost), where a local test server is at home."""
    import ipaddress
    from urllib.parse import urlsplit

    if not url.strip().lower().startswith("http://"):
        return None
    host = urlsplit(url.strip()).hostname or ""
    with contextlib.suppress(ValueError):
        if ipaddress.ip_address(host).is_loopback:
            return None
    if host == "localhost":
        return None
    return (
        f"warning: {host} is reached over plain http://: {carried} will go over the network"
        " in clear; put a TLS-terminating proxy in front of the server and use https://"
        " (docs/deploy.md)"
    )
