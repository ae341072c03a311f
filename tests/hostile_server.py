"""A tiny HTTP server on 127.0.0.1 that answers every request as a test tells it to: a
hostile or broken "envkeep server" for the client to meet over a real socket.

It binds port 0 in this process: the kernel's choice is bound at once, so no other socket can
take it meanwhile (`tests/ports.py` is for servers started in another process).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from tests.server import ENVKEEP, _environ

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

# What answers one request: given the handler (its method, path, headers and the request's
# body already read), it writes the whole answer itself.
Answer = Callable[["Handler", bytes], None]


class Handler(BaseHTTPRequestHandler):
    """Reads the request's body, then lets the server's ``answer`` write the answer."""

    protocol_version = "HTTP/1.1"
    server: _Server

    def _any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.seen.append((self.command, self.path))
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.server.answer(self, body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any  # noqa: N815 - http.server names them

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
        return  # quiet: a test reads what it asserts from the client


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, answer: Answer) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.answer = answer
        self.seen: list[tuple[str, str]] = []


@contextlib.contextmanager
def serving(answer: Answer) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """The stub's URL while it serves ``answer`` (with the (method, path) of each request it
    saw), stopped afterwards."""
    server = _bind(answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.seen
    finally:
        server.shutdown()
        server.server_close()


def _bind(answer: Answer) -> _Server:
    return _Server(0, answer)


def endless(handler: Handler, _body: bytes) -> None:
    """A 200 of JSON that never ends (chunked, so no length gives it away)."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    chunk = b"[" + b"0," * 32_767
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    while True:
        handler.wfile.write(framed)


# Headers a proxy does not pass on as they came: the hop's own, and those of a body it
# re-frames (httpx hands the proxy a decoded body).
_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}


def forward(target: str, handler: Handler, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    """The answer of ``target`` (a real server's URL) to the request ``handler`` read."""
    import httpx

    headers = [(k, v) for k, v in handler.headers.items() if k.lower() not in _HOP | {"host"}]
    answer = httpx.request(
        handler.command, f"{target}{handler.path}", headers=headers, content=body, timeout=60
    )
    kept = [(k, v) for k, v in answer.headers.multi_items() if k.lower() not in _HOP]
    return answer.status_code, kept, answer.content


def reply(handler: Handler, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
    """Write one whole answer."""
    handler.send_response(status)
    for name, value in headers:
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


# What a turned proxy answers a request with in the server's place: (status, a JSON body), or
# None to forward it.
Swap = Callable[["Handler"], "tuple[int, bytes] | None"]


@dataclass(frozen=True)
class Turning:
    """A proxy in front of a real server (its ``url``, the (method, path) of each request it
    ``seen``) that forwards every request until `turn`, then answers itself each one its swap
    gives an answer for: a login made through it, then the server turned into something else."""

    url: str
    seen: list[tuple[str, str]]
    turned: list[bool]

    def turn(self) -> None:
        self.turned.append(True)


@contextlib.contextmanager
def turning_proxy(target: str, swap: Swap) -> Iterator[Turning]:
    """A `Turning` proxy in front of ``target`` (a real server's URL), stopped afterwards."""
    turned: list[bool] = []

    def proxy(handler: Handler, body: bytes) -> None:
        swapped = swap(handler) if turned else None
        if swapped is not None:
            reply(handler, swapped[0], [("Content-Type", "application/json")], swapped[1])
            return
        status, headers, content = forward(target, handler, body)
        reply(handler, status, headers, content)

    with serving(proxy) as (url, seen):
        yield Turning(url, seen, turned)


def headers_then_stall(headers: list[tuple[str, str]], start: bytes = b"") -> Answer:
    """A 200 with ``headers`` and the body's ``start``, then nothing for 40 s: past the read
    timeout, so only a refusal on what came is prompt."""

    def answer(handler: Handler, _body: bytes) -> None:
        handler.send_response(200)
        for name, value in headers:
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(start)
        handler.wfile.flush()
        time.sleep(40)

    return answer


# Runs the CLI and prints, as JSON, its exit code, its stderr and its peak resident memory:
# the getrusage of this wrapper's children is the CLI's alone.
_MEASURED = """
import json, resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=120)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
print(json.dumps({"code": done.returncode, "stderr": done.stderr, "peak": peak}))
"""


def measured_login(url: str, tmp_path: Path) -> dict[str, Any]:
    """``envkeep login url`` run as a process: its exit ``code``, its ``stderr`` and its
    ``peak`` resident memory in bytes."""
    measured = subprocess.run(
        [sys.executable, "-c", _MEASURED, *ENVKEEP, "login", url, "--email", "a@b.io"],
        env=_environ(tmp_path / "home", ENVKEEP_PASSPHRASE="a passphrase"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=150,
        check=True,
    )
    done: dict[str, Any] = json.loads(measured.stdout)
    return done


def dripping_headers(every: float) -> Answer:
    """A 200 whose status line and headers come one byte every ``every`` seconds, each well
    within the read timeout, then a whole answer: only a deadline on the head cuts it."""

    def answer(handler: Handler, _body: bytes) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Pad: "
        head += b"." * 200 + b"\r\nContent-Length: 2\r\n\r\n"
        for byte in head:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            time.sleep(every)
        handler.wfile.write(b"[]")

    return answer
