"""A server stopped with SIGTERM before it served ends with status 143, not 0: a supervisor
(systemd, docker) must not read a start that never finished as a clean stop. The real
`run_app` in a process of its own, whose app's start-up waits until the test has sent the
signal (uvicorn captures it meanwhile, binds, then stops without serving)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING

from tests.ports import free_port

if TYPE_CHECKING:
    from pathlib import Path

_SERVER = """
import asyncio, pathlib, sys
from contextlib import asynccontextmanager
from fastapi import FastAPI
from envkeep.api.listening import listening_sockets
from envkeep.api.requestlog import configure_logging
from envkeep.api.serve import ServerStart, run_app
from envkeep.server_settings import ServerSettings

starting, go = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])

@asynccontextmanager
async def lifespan(app):
    starting.touch()
    while not go.exists():  # the test sends SIGTERM, then says go
        await asyncio.sleep(0.02)
    yield

configure_logging()  # as `envkeep server` does first: `run_app` logs through it
port = int(sys.argv[3])
start = ServerStart(ServerSettings(port=port), tuple(listening_sockets("127.0.0.1", port)))
run_app(FastAPI(lifespan=lifespan), start)
"""


def _until(path: Path, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the server never began its start-up"
        time.sleep(0.02)


def test_sigterm_while_the_server_starts_ends_it_with_status_143_and_says_so(
    tmp_path: Path,
) -> None:
    starting, go = tmp_path / "starting", tmp_path / "go"
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(starting), str(go), str(free_port())],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _until(starting, process)
        process.send_signal(signal.SIGTERM)
        time.sleep(0.2)  # the signal is taken before the start-up goes on
        go.touch()
        _out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert process.returncode == 143, err
    assert "server_start_stopped" in err
    assert "could not start" not in err  # no uvicorn error to point at
