"""A small HTTP/1.1 load generator for servers on 127.0.0.1: requests per second and latency.

``clients`` coroutines each hold one keep-alive connection and send their next request as soon
as the last answer is read, until ``count`` requests are done or ``seconds`` have passed (no
request starts after that; those in flight may finish within a grace period, after which they
are abandoned). Only 200 answers count towards the rate; others, and abandoned requests, are
counted by status and reported, and an abandoned request's latency is the time it waited (so
with any abandoned, percentiles are lower bounds). A refused or dropped connection ends the run
with ``LoadError``.

The client is plain asyncio streams writing prepared request bytes, not httpx: the load
generator shares the machine with the server, and httpx's async connection pool managed about
130 requests/s against the hello-world baseline on a 2-CPU box where this client drives it at
several thousand, so httpx would have measured itself. Answers are read in full (by
Content-Length, or chunk by chunk) but not parsed; the benchmarks check bodies before timing.

``sequential`` is the same with one client on a blocking socket, for a load of one request at
a time (the writes benchmark), where an event loop would only add its own cost.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import socket
import struct
import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

LOOPBACK = "127.0.0.1"
GRACE_SECONDS = 3.0
NO_ANSWER = 0  # the status recorded for a request abandoned at the end of the grace period


class LoadError(RuntimeError):
    """A request under load failed: a refused connection, a closed one, or a status not 200."""


@dataclass(frozen=True)
class Request:
    """One request's bytes on the wire, for a server on 127.0.0.1:``port``."""

    port: int
    wire: bytes

    @classmethod
    def build(
        cls,
        port: int,
        method: str,
        path: str,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
    ) -> Request:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {LOOPBACK}:{port}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if body or method in {"POST", "PUT", "PATCH"}:
            lines.append(f"Content-Length: {len(body)}")
        return cls(port, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)


@dataclass(frozen=True)
class Load:
    """What one run did: answers by status, wall time, and each request's latency (s)."""

    statuses: Mapping[int, int]
    seconds: float
    latencies: tuple[float, ...]

    @property
    def count(self) -> int:
        """Requests answered 200."""
        return self.statuses.get(200, 0)


@dataclass(frozen=True)
class Rate:
    """Several runs pooled: 200 answers per second over their summed wall time, the latency of
    every answer, and the answers that were not 200 (by status)."""

    count: int
    errors: Mapping[int, int]
    seconds: float
    p50: float
    p99: float

    @property
    def per_second(self) -> float:
        return self.count / self.seconds

    @property
    def abandoned(self) -> int:
        """Requests with no answer by the end of the grace period: the percentiles count the
        time they waited, so with any of these they are lower bounds."""
        return self.errors.get(NO_ANSWER, 0)

    def describe_errors(self) -> str:
        """``3 x HTTP 500, 2 x no answer in time`` or an empty string."""
        return ", ".join(
            f"{n} x no answer in time" if status == NO_ANSWER else f"{n} x HTTP {status}"
            for status, n in sorted(self.errors.items(), reverse=True)
        )


def pooled(loads: Sequence[Load]) -> Rate:
    """One ``Rate`` from runs taken in turns with another side's (nearest-rank percentiles)."""
    latencies = sorted(latency for load in loads for latency in load.latencies)
    if not latencies:
        raise LoadError("no request completed")

    def rank(share: float) -> float:
        return latencies[max(1, math.ceil(share * len(latencies))) - 1]

    statuses: Counter[int] = Counter()
    for load in loads:
        statuses.update(load.statuses)
    return Rate(
        count=statuses.pop(200, 0),
        errors=dict(statuses),
        seconds=sum(load.seconds for load in loads),
        p50=rank(0.50),
        p99=rank(0.99),
    )


@dataclass(frozen=True)
class _Head:
    """What a response's head says: its status, how its body is framed, and whether the
    server keeps the connection open."""

    status: int
    keep_alive: bool
    length: int | None  # Content-Length, or None
    chunked: bool

    @classmethod
    def parse(cls, head: bytes) -> _Head:
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        fields = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip().lower()
        length = fields.get("content-length")
        return cls(
            status=int(status_line.split(" ", 2)[1]),
            keep_alive=fields.get("connection") != "close",
            length=None if length is None else int(length),
            chunked=fields.get("transfer-encoding") == "chunked",
        )


async def _answer(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one whole response; (status, whether the server keeps the connection open)."""
    head = _Head.parse(await reader.readuntil(b"\r\n\r\n"))
    if head.length is not None:
        await reader.readexactly(head.length)
    elif head.chunked:
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")  # no trailers are sent by the servers measured
    return head.status, head.keep_alive


class _Run:
    """Shared by a run's clients: the next request, the deadline, what came back."""

    def __init__(self, requests: Callable[[int], Request], count: int, deadline: float) -> None:
        self.requests = requests
        self.count = count
        self.deadline = deadline
        self.issued = 0
        self.latencies: list[float] = []
        self.statuses: Counter[int] = Counter()

    def record(self, status: int, started: float) -> None:
        self.latencies.append(time.perf_counter() - started)
        self.statuses[status] += 1

    def next_request(self) -> Request | None:
        if self.issued >= self.count or time.perf_counter() >= self.deadline:
            return None
        self.issued += 1
        return self.requests(self.issued - 1)


async def _client(run: _Run, port: int) -> None:
    reader, writer = await asyncio.open_connection(LOOPBACK, port)
    started: float | None = None  # while a request is in flight
    try:
        while (request := run.next_request()) is not None:
            started = time.perf_counter()
            writer.write(request.wire)
            try:
                status, keep_alive = await _answer(reader)
            except (asyncio.IncompleteReadError, ConnectionError) as error:
                raise LoadError(f"the server closed a connection: {error!r}") from error
            run.record(status, started)
            started = None
            if not keep_alive:
                writer.close()
                reader, writer = await asyncio.open_connection(LOOPBACK, port)
    except asyncio.CancelledError:
        if started is not None:  # the grace period is over: abandon the request
            run.record(NO_ANSWER, started)
        raise
    finally:
        writer.close()


async def _drive(
    port: int, requests: Callable[[int], Request], clients: int, count: int, seconds: float
) -> Load:
    start = time.perf_counter()
    run = _Run(requests, count, start + seconds)
    # Requests still in flight at the deadline may finish within a grace period; then the
    # timeout cancels the clients, which record what they abandon.
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds + GRACE_SECONDS), asyncio.TaskGroup() as group:
            for _ in range(min(clients, count)):
                group.create_task(_client(run, port))
    elapsed = time.perf_counter() - start
    return Load(dict(run.statuses), elapsed, tuple(run.latencies))


def drive(
    port: int,
    requests: Callable[[int], Request],
    *,
    clients: int,
    count: int,
    seconds: float,
) -> Load:
    """Send up to ``count`` requests (the ``i``-th is ``requests(i)``) to 127.0.0.1:``port``
    over ``clients`` connections for at most ``seconds``; connecting is inside the clock, as
    for a real client that opens its pool once."""
    try:
        return asyncio.run(_drive(port, requests, clients, count, seconds))
    except ExceptionGroup as group:  # the first client to fail stops the others
        first = group.exceptions[0]
        if isinstance(first, LoadError):
            raise first from None
        if isinstance(first, OSError):
            raise LoadError(f"could not reach the server: {first!r}") from None
        raise


class _Connection:
    """One blocking keep-alive connection to 127.0.0.1:``port``, reading whole responses. The
    socket is left in blocking mode, with the kernel's own send and receive timeouts
    (``SO_SNDTIMEO``/``SO_RCVTIMEO``, ``GRACE_SECONDS``) in place of Python's: a Python timeout
    puts the socket in non-blocking mode and adds a ``poll`` before every call (and setting it
    a system call), three to five system calls a request on top of the send and the reads,
    which would be counted as the server's time. A request goes out only before ``end`` (a
    ``perf_counter`` time); a send or read that waits ``GRACE_SECONDS`` for the server gives
    up with ``TimeoutError`` (``grace``: that wait, for a server run under a profiler)."""

    def __init__(self, port: int, end: float, grace: float = GRACE_SECONDS) -> None:
        self.end = end
        self.socket = socket.create_connection((LOOPBACK, port), timeout=self._left())
        try:
            self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.socket.settimeout(None)
            wait = struct.pack("ll", int(grace), int(grace % 1 * 1_000_000))
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, wait)
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, wait)
        except OSError:
            self.socket.close()
            raise
        self.buffer = bytearray()

    def ask(self, request: Request) -> tuple[int, bool]:
        """Send ``request`` and read its whole answer; (status, whether the server keeps the
        connection open)."""
        self._left()
        try:
            self.socket.sendall(request.wire)
            head = _Head.parse(self._until(b"\r\n\r\n"))
            if head.length is not None:
                self._exactly(head.length)
            elif head.chunked:
                while size := int(self._until(b"\r\n").split(b";")[0], 16):
                    self._exactly(size + 2)
                self._until(b"\r\n")  # no trailers are sent by the servers measured
        except BlockingIOError:  # the kernel's timeout: EAGAIN
            raise TimeoutError("no answer in time") from None
        return head.status, head.keep_alive

    def close(self) -> None:
        self.socket.close()

    def _left(self) -> float:
        """Seconds until ``end``; TimeoutError once it has passed (a timeout of 0 would make
        the socket non-blocking instead)."""
        left = self.end - time.perf_counter()
        if left <= 0:
            raise TimeoutError("no answer in time")
        return left

    def _fill(self) -> None:
        data = self.socket.recv(65536)
        if not data:
            raise ConnectionError("the server closed the connection")
        self.buffer += data

    def _until(self, marker: bytes) -> bytes:
        while (end := self.buffer.find(marker)) < 0:
            self._fill()
        return self._take(end + len(marker))

    def _exactly(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self._fill()
        return self._take(size)

    def _take(self, size: int) -> bytes:
        taken = bytes(self.buffer[:size])
        del self.buffer[:size]
        return taken


def _connect(port: int, end: float, grace: float = GRACE_SECONDS) -> _Connection:
    try:
        return _Connection(port, end, grace)
    except OSError as error:  # a refused or timed-out connect included
        raise LoadError(f"could not reach the server: {error!r}") from None


def sequential(
    port: int,
    requests: Callable[[int], Request],
    *,
    count: int,
    seconds: float,
    grace: float = GRACE_SECONDS,
) -> Load:
    """``drive`` with one client, on a blocking socket: each request is sent once the last
    answer is read. A client that waits for each answer gains nothing from an event loop, whose
    own cost (about 0.15 ms of CPU a request on the 2-CPU box, a sixth of a write's round trip
    to `envkeep server`) would be counted as the server's, nor does it use Python's socket
    timeouts (``_Connection`` says why). No request starts after ``seconds``; one the server
    leaves unanswered for the grace period is abandoned (recorded as ``NO_ANSWER``); a
    refused, dropped or timed-out connection raises ``LoadError``. ``grace``: the grace period
    (longer for a server run under a profiler, `count_writes`)."""
    start = time.perf_counter()
    run = _Run(requests, count, start + seconds)
    end = run.deadline + grace
    connection = _connect(port, end, grace)
    try:
        while (request := run.next_request()) is not None:
            started = time.perf_counter()
            try:
                status, keep_alive = connection.ask(request)
            except TimeoutError:  # the grace period is over: abandon the request
                run.record(NO_ANSWER, started)
                break
            except OSError as error:
                raise LoadError(f"the server closed a connection: {error!r}") from error
            run.record(status, started)
            if not keep_alive:
                connection.close()
                connection = _connect(port, end, grace)
    finally:
        connection.close()
    return Load(dict(run.statuses), time.perf_counter() - start, tuple(run.latencies))
