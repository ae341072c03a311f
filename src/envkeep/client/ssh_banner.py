"""An SSH server at the URL's port (``http://host:22``). It speaks first, a line such as
``SSH-2.0-OpenSSH_9.6``, and closes on the HTTP request it reads as a bad identification: h11
waits for a blank line that never comes, and the client said "sent no complete answer
(connection closed before any answer)", "check whether the server runs".

A network backend over another's (httpcore's public ``NetworkBackend`` interface): the first
bytes read on each connection are looked at once, and an SSH banner there is raised as
``SshBanner``, an httpcore RemoteProtocolError that says what h11 says of an answer with no
HTTP status line, so `network_words.not_http` reads it as another service on the port, and
`ssh_banner` tells which. An HTTP answer starts with ``HTTP/``, never ``SSH-``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpcore

if TYPE_CHECKING:
    import ssl
    from collections.abc import Iterable

# RFC 4253 4.2: the server's identification string begins so.
_BANNER = b"SSH-"


class SshBanner(httpcore.RemoteProtocolError):
    """The first bytes of an answer were an SSH server's identification, not HTTP."""


def ssh_banner(error: BaseException) -> bool:
    """Whether ``error`` (or an error it was raised from) is ``SshBanner``."""
    from envkeep.client.network_words import error_chain  # on a failure only

    return any(isinstance(cause, SshBanner) for cause in error_chain(error))


class _Stream(httpcore.NetworkStream):
    """A connection whose first read is refused when it is an SSH banner."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream
        self._first = True

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data = self._stream.read(max_bytes, timeout)
        if self._first and data:
            self._first = False
            if data.startswith(_BANNER):  # its text is never repeated: the server's to write
                raise SshBanner("illegal status line: an SSH server's banner")
        return data

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
        return _Stream(self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class Backend(httpcore.NetworkBackend):
    """``backend``'s connections, an SSH banner first on one refused as such."""

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
