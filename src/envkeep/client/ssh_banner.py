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

import httpcore

from envkeep.client.stream_layers import Layer, LayeredBackend

# RFC 4253 4.2: the server's identification string begins so.
_BANNER = b"SSH-"


class SshBanner(httpcore.RemoteProtocolError):
    """The first bytes of an answer were an SSH server's identification, not HTTP."""


def ssh_banner(error: BaseException) -> bool:
    """Whether ``error`` (or an error it was raised from) is ``SshBanner``."""
    from envkeep.client.network_words import error_chain  # on a failure only

    return any(isinstance(cause, SshBanner) for cause in error_chain(error))


class _Stream(Layer):
    """A connection whose first read is refused when it is an SSH banner."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        super().__init__(stream)
        self._first = True

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data = self._stream.read(max_bytes, timeout)
        if self._first and data:
            self._first = False
            if data.startswith(_BANNER):  # its text is never repeated: the server's to write
                raise SshBanner("illegal status line: an SSH server's banner")
        return data


class Backend(LayeredBackend):
    """``backend``'s connections, an SSH banner first on one refused as such."""

    layer = _Stream
