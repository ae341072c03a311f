"""Server processes for the server benchmarks: `envkeep server` and the hello-world baseline.

Each is a context manager that starts one process on a free port of 127.0.0.1, waits until it
answers, and stops it on the way out whatever happened (terminate, then kill after 5 s). A
server that exits early or never answers raises ``ServerError`` with the end of its log.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from _load import LOOPBACK

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

    from _workspace import Workspace

HELLO_APP = Path(__file__).resolve().with_name("_hello_app.py")
START_SECONDS = 30.0
STOP_SECONDS = 5.0


class ServerError(RuntimeError):
    """A server did not start, or answered set-up requests with an error."""


@dataclass(frozen=True)
class Server:
    """A running server: where it listens, its process id (for a profiler), and its log."""

    port: int
    pid: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _wait_ready(process: subprocess.Popen[bytes], url: str, log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(f"server exited ({process.returncode}): {log.read_text()[-2000:]}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(url, timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise ServerError(f"server did not answer {url} in {seconds:.0f} s")


def _stop(process: subprocess.Popen[bytes], seconds: float) -> None:
    if process.poll() is None:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(seconds)
    if process.poll() is None:
        process.kill()
        process.wait()


@dataclass(frozen=True)
class Wrapper:
    """A command the server runs under (``count_writes.py``: valgrind), and the seconds it is
    given to start and to stop, which such a command makes many times longer."""

    argv: tuple[str, ...] = ()
    start_seconds: float = START_SECONDS
    stop_seconds: float = STOP_SECONDS


PLAIN = Wrapper()


@contextlib.contextmanager
def _running(
    argv: Sequence[str],
    env: Mapping[str, str],
    log: Path,
    port: int,
    ready_path: str,
    *,
    wrapper: Wrapper = PLAIN,
) -> Iterator[Server]:
    with log.open("wb") as sink:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [*wrapper.argv, *argv],
            env=dict(env),
            cwd=log.parent,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )
    try:
        server = Server(port, process.pid, log)
        _wait_ready(process, server.url + ready_path, log, wrapper.start_seconds)
        yield server
    except BaseException:
        _stop(process, wrapper.stop_seconds)
        _print_tail(log)  # the temp dir and the log in it go away with the run
        raise
    finally:
        _stop(process, wrapper.stop_seconds)


def _print_tail(log: Path, lines: int = 20) -> None:
    tail = log.read_text(errors="replace").splitlines()[-lines:]
    if tail:
        print(f"bench: the last lines of {log.name}:", *tail, sep="\n  ", file=sys.stderr)


@contextlib.contextmanager
def envkeep_server(
    ws: Workspace, directory: Path, wrapper: Wrapper = PLAIN
) -> Iterator[tuple[Server, str]]:
    """`envkeep server` over a fresh SQLite file in ``directory``, rate limits off (run under
    ``wrapper``); the server and its database URL."""
    directory.mkdir(parents=True)
    database = f"sqlite:///{directory / 'server.db'}"
    ws.envkeep(directory, "server", "migrate", "--db", database)
    env = {**ws.env, "ENVKEEP_SERVER_RATE": "0"}
    port = free_port()
    argv = [ws.envkeep_script, "server", "--host", LOOPBACK, "--port", str(port)]
    log = directory / "server.log"
    with _running([*argv, "--db", database], env, log, port, "/readyz", wrapper=wrapper) as s:
        yield s, database


@contextlib.contextmanager
def hello_server(
    ws: Workspace, directory: Path, database: Path | None = None, wrapper: Wrapper = PLAIN
) -> Iterator[Server]:
    """The bare uvicorn + Starlette app of ``_hello_app.py``, from the same venv (with
    ``database``, its ``POST /rows`` too; run under ``wrapper``)."""
    directory.mkdir(parents=True)
    port = free_port()
    argv = [ws.python, str(HELLO_APP), str(port), *([str(database)] if database else [])]
    with _running(argv, ws.env, directory / "hello.log", port, "/", wrapper=wrapper) as server:
        yield server
