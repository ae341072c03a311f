"""How the client's requests reach a server: its pool of connections, direct or through a proxy
(`proxies`), and the timeouts every request has."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.client._httpx import httpx

if TYPE_CHECKING:
    from envkeep.client.proxies import Proxy

READ_SECONDS = 30.0
TIMEOUT = httpx.Timeout(READ_SECONDS, connect=5.0)
# An idle connection is dropped from the pool well before the server closes it (after
# api/uvicorn_settings.KEEP_ALIVE_SECONDS): httpx's default of 5 s equals the server's, and a
# command that paused about that long (a passphrase prompt, an Argon2id unlock under load) sent
# its next request down a connection the server was closing, and failed with ReadError.
KEEPALIVE_SECONDS = 2.0
LIMITS = httpx.Limits(  # httpx's own pool sizes
    max_connections=100, max_keepalive_connections=20, keepalive_expiry=KEEPALIVE_SECONDS
)


def connecting(proxy: Proxy | None) -> httpx.BaseTransport:
    """The transport to a server reached through ``proxy`` (None: directly); TLS verified
    against the system's CA bundle, or SSL_CERT_FILE's."""
    return httpx.HTTPTransport(
        limits=LIMITS, proxy=None if proxy is None else httpx.Proxy(proxy.url)
    )
