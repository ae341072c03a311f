"""A connection over another, and a network backend whose connections are such layers
(httpcore's public ``NetworkStream`` and ``NetworkBackend`` interfaces). A layer passes on
what it does not change: `tls_layers`, `ssh_banner` and `header_deadline` each change one
thing, and carried a copy of the rest."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import httpcore

if TYPE_CHECKING:
    import ssl
    from collections.abc import Iterable


class Layer(httpcore.NetworkStream):
    """``stream`` passed through; a TLS started on it is layered again (`over`)."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def over(self, started: httpcore.NetworkStream) -> httpcore.NetworkStream:
        """This layer over ``started``, the TLS stream started on the one below."""
        return type(self)(started)

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
        return self.over(self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class LayeredBackend(httpcore.NetworkBackend):
    """``backend``'s connections, each under ``layer``."""

    layer: ClassVar[type[Layer]]

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def bounded(self, timeout: float | None) -> float | None:
        """The timeout a connection is made within: ``timeout`` unless a layer bounds it."""
        return timeout

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        return self.layer(
            self._backend.connect_tcp(
                host, port, self.bounded(timeout), local_address, socket_options
            )
        )

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        made = self._backend.connect_unix_socket(path, self.bounded(timeout), socket_options)
        return self.layer(made)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)
