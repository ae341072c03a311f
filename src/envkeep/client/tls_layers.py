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

from typing import TYPE_CHECKING, Any

import httpcore

if TYPE_CHECKING:
    import ssl
    from collections.abc import Iterable


class InsideTlsFailed(httpcore.ConnectError):
    """A TLS handshake made inside an established TLS connection failed: the server's,
    through an https:// proxy's tunnel."""


def inside_tls(error: BaseException) -> bool:
    """Whether ``error`` (or an error it was raised from) is ``InsideTlsFailed``."""
    from envkeep.client.network_words import error_chain  # on a failure only

    return any(isinstance(cause, InsideTlsFailed) for cause in error_chain(error))


class _Stream(httpcore.NetworkStream):
    """A connection that knows whether TLS was started on it already."""

    def __init__(self, stream: httpcore.NetworkStream, *, tls: bool = False) -> None:
        self._stream = stream
        self._tls = tls

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, timeout)

    def close(self) -> None:
        self._stream.close()

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

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class Backend(httpcore.NetworkBackend):
    """``backend``'s connections, each knowing whether TLS was started on it."""

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        return _Stream(
            self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        )

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        return _Stream(self._backend.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)
