"""An overall deadline on a request up to its answer's status line and headers.

httpx's read timeout is per network read: a server sending its headers a byte every few
seconds never trips it, and held a command for as long as it liked (the body has its own cut,
`answer_size.read_within`). Every read and write of a connection made here is bounded by the
deadline of the request being sent (``within``), through httpcore's public ``NetworkBackend``
and ``NetworkStream`` interfaces: connecting, a proxy's CONNECT, TLS, the request, and the
answer's head. Its body is read after ``within`` has ended, under no deadline of this module.
A request body being sent is the client's to send, not the server's head coming slowly: each
write moves the deadline on by the time its bytes may take at the slowest rate an honest link
is allowed (`answer_size.SLOWEST_BYTES_A_SECOND`), so a big import over a slow uplink is sent.
"""

from __future__ import annotations

import contextlib
import time
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import httpcore

from envkeep.client._httpx import httpx
from envkeep.client.answer_size import SLOWEST_BYTES_A_SECOND

if TYPE_CHECKING:
    import ssl
    from collections.abc import Iterable, Iterator

# When the request being sent must have its answer's head (time.monotonic()); None: no bound.
_DEADLINE: ContextVar[float | None] = ContextVar("envkeep_header_deadline", default=None)
# A socket's timeout may end a hair before the deadline it was cut to.
_SLACK = 0.05


class HeadersTooSlow(httpx.ReadTimeout):
    """The deadline passed before the answer's status line and headers had all come. An
    httpx error from the start (httpcore passes on what its network backend raises), so the
    transport hands it up as it is: one class, from here to `unreachable`."""


@contextlib.contextmanager
def within(seconds: float) -> Iterator[None]:
    """Bound every network read and write inside to ``seconds`` from now, in all."""
    token = _DEADLINE.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def _bounded(timeout: float | None) -> float | None:
    """``timeout``, cut to what is left of the deadline; HeadersTooSlow once it has passed."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise HeadersTooSlow("the answer's head did not come in time")
    return left if timeout is None else min(timeout, left)


def _allow_sending(size: int) -> None:
    """Move the current deadline, if any, on by the time ``size`` bytes may take to send."""
    deadline = _DEADLINE.get()
    if deadline is not None:
        _DEADLINE.set(deadline + size / SLOWEST_BYTES_A_SECOND)


class _Stream(httpcore.NetworkStream):
    """A connection whose every read and write is bounded by the current deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            return self._stream.read(max_bytes, _bounded(timeout))
        except httpcore.ReadTimeout:
            deadline = _DEADLINE.get()  # the deadline's own end, told apart from a read's
            if deadline is not None and time.monotonic() >= deadline - _SLACK:
                raise HeadersTooSlow("the answer's head did not come in time") from None
            raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        _allow_sending(len(buffer))
        self._stream.write(buffer, _bounded(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        started = self._stream.start_tls(ssl_context, server_hostname, _bounded(timeout))
        return _Stream(started)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class Backend(httpcore.NetworkBackend):
    """httpcore's own sockets, each connection's reads and writes under the deadline."""

    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        connected = self._backend.connect_tcp(
            host, port, _bounded(timeout), local_address, socket_options
        )
        return _Stream(connected)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        return _Stream(self._backend.connect_unix_socket(path, _bounded(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)
