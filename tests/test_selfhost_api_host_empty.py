"""`envkeep server --host ''` (or ``host = ""`` in the settings file): every address, as
uvicorn's own binding (asyncio's) took it, 0.0.0.0 and ``::``. Since the start binds the port
itself, an empty host went to getaddrinfo as a name and the start failed with "cannot listen
on :8600: Name or service not known"."""

from __future__ import annotations

import contextlib
import subprocess
import time
from typing import TYPE_CHECKING

import httpx

from envkeep.api.listening import listening_sockets
from envkeep.api.serve import migrate
from tests import ports
from tests.server import ENVKEEP, _environ
from tests.test_selfhost_api_port_taken import _as_asyncio_binds, _facts

if TYPE_CHECKING:
    from pathlib import Path


def test_an_empty_host_is_bound_on_every_address_as_asyncio_binds_it() -> None:
    bound = listening_sockets("", ports.free_port())
    try:
        assert sorted(_facts(each) for each in bound) == sorted(_as_asyncio_binds(""))
    finally:
        for each in bound:
            each.close()


def test_a_server_started_with_an_empty_host_serves_ipv4_loopback(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'server.db'}"
    migrate(database)
    (tmp_path / "home").mkdir()
    port = ports.free_port()
    server = subprocess.Popen(
        [*ENVKEEP, "server", "--host", "", "--port", str(port), "--db", database],
        env=_environ(tmp_path / "home"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        answered = _answered(f"http://127.0.0.1:{port}/healthz", server)
    finally:
        server.terminate()
        _, said = server.communicate(timeout=30)
    assert answered == 200, said
    assert server.returncode == 0, said


def _answered(url: str, server: subprocess.Popen[str]) -> int | None:
    """The status of ``url`` once the server answers; None if it ended first."""
    for _ in range(600):
        if server.poll() is not None:
            return None
        with contextlib.suppress(httpx.TransportError):
            return httpx.get(url, timeout=1).status_code
        time.sleep(0.05)
    raise AssertionError(f"nothing answered on {url}")
