"""Which TLS handshake of a connection failed: the first made on it, or one made inside an
established TLS connection. Through an https:// proxy to an https:// server the first is the
proxy's and the one inside it (through the CONNECT tunnel) the server's: an untrusted
certificate of the proxy was told as the server's. Every other route has one TLS handshake
(direct or through an http:// proxy: the server's; an https:// proxy to an http:// server:
the proxy's), told by `unreachable` from the route alone.

A network backend over another's (httpcore's public ``NetworkBackend`` interface): a failed
handshake inside TLS is raised as ``InsideTlsFailed``, an httpcore ConnectError still.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpcore

from envkeep.client.stream_layers import Layer, LayeredBackend

if TYPE_CHECKING:
    import ssl


class InsideTlsFailed(httpcore.ConnectError):
    """A TLS handshake made inside an established TLS connection failed: the server's,
    through an https:// proxy's tunnel."""


def inside_tls(error: BaseException) -> bool:
    """Whether ``error`` (or an error it was raised from) is ``InsideTlsFailed``."""
    from envkeep.client.network_words import error_chain  # on a failure only

    return any(isinstance(cause, InsideTlsFailed) for cause in error_chain(error))


class _Stream(Layer):
    """A connection that knows whether TLS was started on it already."""

    def __init__(self, stream: httpcore.NetworkStream, *, tls: bool = False) -> None:
        super().__init__(stream)
        self._tls = tls

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        try:
            started = self._stream.start_tls(ssl_context, server_hostname, timeout)
        except httpcore.ConnectError as error:
            if not self._tls:
                raise
            raise InsideTlsFailed(str(error)) from error
        return _Stream(started, tls=True)


class Backend(LayeredBackend):
    """``backend``'s connections, each knowing whether TLS was started on it."""

    layer = _Stream
