"""The metrics socket `envkeep server --metrics-port` binds (and serves from then on) is closed,
and its thread ended, however the server ends: a start that fails (the app's start-up fails),
a SIGTERM before it served, a stop once it served; and `--metrics-host ::` serves IPv4 and
IPv6 scrapers from that one socket. The real `run_app` in a process of its own, which says
afterwards whether the socket is closed, the thread gone and the port free again."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.ports import free_port
from tests.server import start_server
from tests.test_selfhost_dual_stack import _ipv6_loopback

if TYPE_CHECKING:
    from pathlib import Path

_SERVER = """
import asyncio, pathlib, socket, sys, threading
from contextlib import asynccontextmanager
from types import SimpleNamespace
from fastapi import FastAPI
from prometheus_client import REGISTRY
from envkeep.api.listening import bound_socket, listening_sockets
from envkeep.api.requestlog import configure_logging
from envkeep.api.serve import ServerStart, run_app
from envkeep.server_settings import ServerSettings

starting, go = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
fail = starting.with_name("fail")
port, metrics_port = int(sys.argv[3]), int(sys.argv[4])

@asynccontextmanager
async def lifespan(app):
    starting.touch()
    if fail.exists():
        raise RuntimeError("the app cannot start")
    while not go.exists():  # the test sends SIGTERM or scrapes, then says go
        await asyncio.sleep(0.02)
    yield

configure_logging()  # as `envkeep server` does first: `run_app` logs through it
app = FastAPI(lifespan=lifespan)
app.state.metrics = SimpleNamespace(registry=REGISTRY)  # what serve_metrics reads
listening = bound_socket("127.0.0.1", metrics_port, "--metrics-port")
api = tuple(listening_sockets("127.0.0.1", port))  # as `envkeep server` binds them
try:
    run_app(app, ServerStart(ServerSettings(port=port), api, metrics_socket=listening))
except BaseException as ended:
    print("ended:", type(ended).__name__, flush=True)
print("socket closed:", listening.fileno() == -1, flush=True)
print("threads:", sorted(t.name for t in threading.enumerate()), flush=True)
socket.create_server(("127.0.0.1", metrics_port)).close()
print("port free", flush=True)
"""


def _start(tmp_path: Path, port: int, metrics_port: int) -> subprocess.Popen[str]:
    starting, go = tmp_path / "starting", tmp_path / "go"
    return subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(starting), str(go), str(port), str(metrics_port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _until_starting(tmp_path: Path, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while not (tmp_path / "starting").exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the server never began its start-up"
        time.sleep(0.02)


def _said(process: subprocess.Popen[str]) -> list[str]:
    out, err = process.communicate(timeout=60)
    # The script's own: uvicorn's of a failed start-up is a field of a JSON line.
    assert not any(line.startswith("Traceback") for line in err.splitlines()), err
    return out.splitlines()


_CLOSED = ["socket closed: True", "threads: ['MainThread']", "port free"]


def test_a_start_that_fails_after_binding_closes_the_metrics_socket(tmp_path: Path) -> None:
    (tmp_path / "fail").touch()  # the app's start-up fails: uvicorn ends with status 3
    process = _start(tmp_path, free_port(), free_port())
    assert _said(process) == ["ended: EnvkeepError", *_CLOSED]


def test_sigterm_before_the_server_served_closes_the_metrics_socket(tmp_path: Path) -> None:
    process = _start(tmp_path, free_port(), free_port())
    _until_starting(tmp_path, process)
    process.send_signal(signal.SIGTERM)
    time.sleep(0.2)  # the signal is taken before the start-up goes on
    (tmp_path / "go").touch()
    assert _said(process) == ["ended: StoppedStarting", *_CLOSED]


def test_a_stop_once_served_closes_the_metrics_socket(tmp_path: Path) -> None:
    port, metrics_port = free_port(), free_port()
    process = _start(tmp_path, port, metrics_port)
    _until_starting(tmp_path, process)
    scraped = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5)
    assert scraped.status_code == 200
    assert "python_info" in scraped.text
    (tmp_path / "go").touch()
    _until_served(port, process)
    process.send_signal(signal.SIGTERM)
    assert _said(process) == ["ended: SystemExit", *_CLOSED]  # status 0, once served


def _until_served(port: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        with contextlib.suppress(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return
        time.sleep(0.05)
    raise AssertionError("the server never served")


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback or no dual-stack sockets")
def test_metrics_on_the_any_ipv6_address_are_served_to_ipv4_and_ipv6_scrapers(
    tmp_path: Path,
) -> None:
    metrics_port = free_port()
    server = start_server(
        tmp_path, None, "--metrics-port", str(metrics_port), "--metrics-host", "::"
    )
    try:
        over_ipv4 = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5)
        over_ipv6 = httpx.get(f"http://[::1]:{metrics_port}/metrics", timeout=5)
        assert over_ipv4.status_code == over_ipv6.status_code == 200
        assert "envkeep_" in over_ipv4.text
        assert "envkeep_" in over_ipv6.text
    finally:
        server.stop()
