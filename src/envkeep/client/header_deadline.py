"""An overall deadline on a request up to its answer's status line and headers.

httpx's read timeout is per network read: a server sending its headers a byte every few
seconds never trips it, and held a command for as long as it liked (the body has its own cut,
`answer_size.read_within`). Every read and write of a connection made here is bounded by the
deadline of the request being sent (``within``), through httpcore's public ``NetworkBackend``
and ``NetworkStream`` interfaces: connecting, a proxy's CONNECT, TLS, the request, and the
answer's head. Its body is read after ``within`` has ended, under no deadline of this module.
A request body being sent is the client's to send, not the server's head coming slowly: each
write moves the deadline on by the time it took (and may take what is left of the deadline
plus its bytes at the slowest rate an honest link is allowed,
`answer_size.SLOWEST_BYTES_A_SECOND`). A write returns once its bytes are in the kernel's send
buffer, not at the server: if, when the deadline comes, some of the body is still there
(`send_queue`), the deadline is moved on once more by what the buffer held after the last
write at that rate. So a body sent quickly leaves the server its 60 s, and one still crossing
a slow uplink is not cut.
"""

from __future__ import annotations

import contextlib
import time
from contextvars import ContextVar
from typing import TYPE_CHECKING

import httpcore

from envkeep.client import send_queue
from envkeep.client._httpx import httpx
from envkeep.client.answer_size import SLOWEST_BYTES_A_SECOND
from envkeep.client.stream_layers import Layer, LayeredBackend

if TYPE_CHECKING:
    import ssl
    from collections.abc import Iterator

# The deadline of the request being sent; None: no bound.
_CLOCK: ContextVar[_Clock | None] = ContextVar("envkeep_header_deadline", default=None)
# A socket's timeout may end a hair before the deadline it was cut to.
_SLACK = 0.05


class HeadersTooSlow(httpx.ReadTimeout):
    """The deadline passed before the answer's status line and headers had all come. An
    httpx error from the start (httpcore passes on what its network backend raises), so the
    transport hands it up as it is: one class, from here to `unreachable`."""


class _Clock:
    """One request's deadline (time.monotonic()), moved on by the sending of its body."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds
        self._sent = 0  # bytes written, all writes
        self._last: httpcore.NetworkStream | None = None  # the stream last written
        self._held = 0  # what its kernel held unsent after that write
        self._waited_for_body = False

    def left(self, sending: int = 0) -> float:
        """Seconds left (for a write of ``sending`` bytes: plus their time at the slowest
        rate); HeadersTooSlow once none are, the body no longer in flight."""
        left = self.deadline + sending / SLOWEST_BYTES_A_SECOND - time.monotonic()
        if left <= 0 and self._body_in_flight():
            self._waited_for_body = True
            self.deadline += self._held / SLOWEST_BYTES_A_SECOND
            left = self.deadline + sending / SLOWEST_BYTES_A_SECOND - time.monotonic()
        if left <= 0:
            raise HeadersTooSlow("the answer's head did not come in time")
        return left

    def passed(self) -> bool:
        return time.monotonic() >= self.deadline - _SLACK

    def wrote(self, stream: httpcore.NetworkStream, size: int, took: float) -> None:
        """``size`` bytes were handed to ``stream``'s kernel in ``took`` seconds."""
        self.deadline += took
        self._sent += size
        self._last = stream
        held = send_queue.queued(stream)
        self._held = held if held is not None else min(self._sent, send_queue.could_hold(stream))

    def _body_in_flight(self) -> bool:
        """Whether some of the body is still in the kernel, the first time the deadline
        comes (where the system does not tell: whether any was written)."""
        if self._waited_for_body or self._last is None:
            return False
        held = send_queue.queued(self._last)
        return self._held > 0 if held is None else held > 0


@contextlib.contextmanager
def within(seconds: float) -> Iterator[None]:
    """Bound every network read and write inside to ``seconds`` from now, in all."""
    token = _CLOCK.set(_Clock(seconds))
    try:
        yield
    finally:
        _CLOCK.reset(token)


def _bounded(timeout: float | None, sending: int = 0) -> float | None:
    """``timeout``, cut to what is left of the deadline; HeadersTooSlow once it has passed."""
    clock = _CLOCK.get()
    if clock is None:
        return timeout
    left = clock.left(sending)
    return left if timeout is None else min(timeout, left)


class _Stream(Layer):
    """A connection whose every read and write is bounded by the current deadline."""

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        while True:
            try:
                return self._stream.read(max_bytes, _bounded(timeout))
            except httpcore.ReadTimeout:
                clock = _CLOCK.get()  # the deadline's own end, told apart from a read's
                if clock is None or not clock.passed():
                    raise
                # again: _bounded moves the deadline on for a body still in flight, once,
                # or raises HeadersTooSlow

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        clock = _CLOCK.get()
        started = time.monotonic()
        self._stream.write(buffer, _bounded(timeout, len(buffer)))
        if clock is not None:
            clock.wrote(self._stream, len(buffer), time.monotonic() - started)

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        return super().start_tls(ssl_context, server_hostname, _bounded(timeout))


class Backend(LayeredBackend):
    """httpcore's own sockets, each connection's reads and writes under the deadline."""

    layer = _Stream

    def __init__(self) -> None:
        super().__init__(httpcore.SyncBackend())

    def bounded(self, timeout: float | None) -> float | None:
        return _bounded(timeout)
