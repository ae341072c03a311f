"""How the client's requests reach a server: its own httpx transport over an httpcore pool of
connections, direct or through a proxy (`proxies`), with the timeouts every request has and
a deadline on each answer's head (`header_deadline`).

httpx's ``HTTPTransport`` takes no network backend, so the deadline could only be added to it
through its private attributes; this transport is httpx's own, small, over httpcore's public
``ConnectionPool`` (``network_backend=``, ``proxy=``), and maps httpcore's exceptions to
httpx's as httpx does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import httpcore

from envkeep.client import header_deadline, ssh_banner, tls_layers
from envkeep.client._httpx import httpx

if TYPE_CHECKING:
    from collections.abc import Iterator

    from envkeep.client.proxies import Proxy

READ_SECONDS: Final = 30.0
TIMEOUT = httpx.Timeout(READ_SECONDS, connect=5.0)
# The status line and headers of an answer must all have come this long after the request was
# sent (however they trickle in: the read timeout is per read). A server out of reach, as an
# answer that trickles in is (`answer_size`): a read falls back on its kept copy.
HEADERS_SECONDS: Final = 60.0
# An idle connection is dropped from the pool well before the server closes it (after
# api/uvicorn_settings.KEEP_ALIVE_SECONDS): httpx's default of 5 s equals the server's, and a
# command that paused about that long (a passphrase prompt, an Argon2id unlock under load) sent
# its next request down a connection the server was closing, and failed with ReadError.
KEEPALIVE_SECONDS: Final = 2.0
LIMITS = httpx.Limits(  # httpx's own pool sizes
    max_connections=100, max_keepalive_connections=20, keepalive_expiry=KEEPALIVE_SECONDS
)


# httpcore's exceptions as httpx raises them; the first of an exception's classes listed wins.
# (header_deadline.HeadersTooSlow is an httpx error already, and goes up as it is.)
_AS_HTTPX: Final[dict[type[Exception], type[httpx.TransportError]]] = {
    httpcore.PoolTimeout: httpx.PoolTimeout,
    httpcore.ConnectTimeout: httpx.ConnectTimeout,
    httpcore.ReadTimeout: httpx.ReadTimeout,
    httpcore.WriteTimeout: httpx.WriteTimeout,
    httpcore.TimeoutException: httpx.TimeoutException,
    httpcore.ConnectError: httpx.ConnectError,
    httpcore.ReadError: httpx.ReadError,
    httpcore.WriteError: httpx.WriteError,
    httpcore.NetworkError: httpx.NetworkError,
    httpcore.ProxyError: httpx.ProxyError,
    httpcore.UnsupportedProtocol: httpx.UnsupportedProtocol,
    httpcore.RemoteProtocolError: httpx.RemoteProtocolError,
    httpcore.LocalProtocolError: httpx.LocalProtocolError,
    httpcore.ProtocolError: httpx.ProtocolError,
}


def _as_httpx(error: Exception) -> httpx.TransportError | None:
    for cls in type(error).__mro__:
        if cls in _AS_HTTPX:
            return _AS_HTTPX[cls](str(error))
    return None


class _Body(httpx.SyncByteStream):
    """An answer's body as httpcore streams it, its errors as httpx's."""

    def __init__(self, stream: httpcore.Response) -> None:
        self._response = stream

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._response.iter_stream()
        except Exception as error:
            raise _as_httpx(error) or error from error

    def close(self) -> None:
        self._response.close()


class Transport(httpx.BaseTransport):
    """httpx's transport over httpcore's pool, each answer's head under ``headers_within``."""

    def __init__(
        self, proxy: Proxy | None = None, *, headers_within: float = HEADERS_SECONDS
    ) -> None:
        self._headers_within = headers_within
        through = None
        if proxy is not None:
            given = httpx.Proxy(proxy.url)  # its credentials, if any, as Proxy-Authorization
            through = httpcore.Proxy(_core_url(given.url), given.raw_auth, given.headers.raw)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),  # SSL_CERT_FILE / SSL_CERT_DIR, or certifi's
            proxy=through,
            max_connections=LIMITS.max_connections,
            max_keepalive_connections=LIMITS.max_keepalive_connections,
            keepalive_expiry=LIMITS.keepalive_expiry,
            network_backend=tls_layers.Backend(ssh_banner.Backend(header_deadline.Backend())),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        sent = httpcore.Request(
            method=request.method,
            url=_core_url(request.url),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        try:
            with header_deadline.within(self._headers_within):
                answer = self._pool.handle_request(sent)
        except Exception as error:
            raise _as_httpx(error) or error from error
        return httpx.Response(
            status_code=answer.status,
            headers=answer.headers,
            stream=_Body(answer),
            extensions=answer.extensions,
        )

    def close(self) -> None:
        self._pool.close()


def _core_url(url: httpx.URL) -> httpcore.URL:
    return httpcore.URL(
        scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
    )


def connecting(
    proxy: Proxy | None, *, headers_within: float = HEADERS_SECONDS
) -> httpx.BaseTransport:
    """The transport to a server reached through ``proxy`` (None: directly), each answer's
    head due within ``headers_within`` seconds; TLS verified against the system's CA bundle,
    or SSL_CERT_FILE's."""
    return Transport(proxy, headers_within=headers_within)
