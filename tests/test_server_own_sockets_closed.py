"""`run_app` without the start's sockets (`LoggedServer` binds its own): a start that fails
after binding (the app's start-up fails, uvicorn exits 3) leaves the port free as it ends.
Its sockets stayed open as long as the error lived: uvicorn closes only the sockets of a
server that started. The real `run_app` in a process of its own."""

from __future__ import annotations

import subprocess
import sys

from tests.ports import free_port

_SERVER = """
import socket, sys
from contextlib import asynccontextmanager
from fastapi import FastAPI
from envkeep.api.serve import run_app
from envkeep.core.errors import EnvkeepError

@asynccontextmanager
async def lifespan(app):
    raise RuntimeError("the app cannot start")
    yield

port = int(sys.argv[1])
try:
    run_app(FastAPI(lifespan=lifespan), host="127.0.0.1", port=port)
except EnvkeepError as failed:
    try:
        socket.create_server(("127.0.0.1", port), reuse_port=False).close()
    except OSError as taken:
        print("held:", taken, "|", failed)
    else:
        print("free |", failed)
"""


def test_a_failed_start_closes_the_sockets_the_server_bound_itself() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _SERVER, str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.stdout.startswith("free |"), done.stdout + done.stderr
    assert "could not start" in done.stdout
