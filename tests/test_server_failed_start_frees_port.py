"""A start of `envkeep server` that fails after binding its port (the app's start-up fails,
uvicorn exits 3) leaves the port free as the command ends, not only as the process does: the
sockets the CLI bound before its announce are closed however the start ends. The real CLI
entry point in a process of its own, its app's start-up made to fail."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

from envkeep.api.serve import migrate
from tests.ports import free_port
from tests.server import _environ

if TYPE_CHECKING:
    from pathlib import Path

_SERVER = """
import socket, sys
from contextlib import asynccontextmanager
from fastapi import FastAPI
from envkeep.api import serve
from envkeep.cli import entry

@asynccontextmanager
async def lifespan(app):
    raise RuntimeError("the app cannot start")
    yield

serve.build_app = lambda *_args, **_kwargs: FastAPI(lifespan=lifespan)
port = sys.argv[1]
try:
    entry.main(["server", "--port", port, "--db", sys.argv[2]])
except SystemExit as ended:
    try:
        socket.create_server(("127.0.0.1", int(port))).close()
    except OSError as taken:
        print("held:", taken, "| status", ended.code)
    else:
        print("free | status", ended.code)
"""


def test_a_failed_start_closes_the_sockets_the_cli_bound(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    migrate(url)
    done = subprocess.run(
        [sys.executable, "-c", _SERVER, str(free_port()), url],
        capture_output=True,
        text=True,
        env=_environ(tmp_path / "home"),
        timeout=60,
        check=False,
    )
    assert done.stdout.strip() == "free | status 1", done.stdout + done.stderr
    assert "could not start" in done.stderr
