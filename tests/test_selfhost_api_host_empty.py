"""`envkeep server --host ''` (or ``host = ""`` in the settings file): every address, as
uvicorn's own binding (asyncio's) took it, 0.0.0.0 and ``::``. Since the start binds the port
itself, an empty host went to getaddrinfo as a name and the start failed with "cannot listen
on :8600: Name or service not known". It says the addresses it serves, as `--host 0.0.0.0`
and `--host ::` are said (http://0.0.0.0:8600, http://[::]:8600): it announced
"http://:8600" and logged "address": ":8600", which no client can use."""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
from typing import TYPE_CHECKING

import httpx

from envkeep.api.listening import address, listening_sockets
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


def _serving_every_address(tmp_path: Path, port: int) -> subprocess.Popen[str]:
    """`envkeep server --host ''` on ``port``, over a new SQLite file; its stderr piped."""
    database = f"sqlite:///{tmp_path / 'server.db'}"
    migrate(database)
    (tmp_path / "home").mkdir()
    return subprocess.Popen(
        [*ENVKEEP, "server", "--host", "", "--port", str(port), "--db", database],
        env=_environ(tmp_path / "home"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_server_started_with_an_empty_host_serves_ipv4_loopback(tmp_path: Path) -> None:
    port = ports.free_port()
    server = _serving_every_address(tmp_path, port)
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


def test_an_empty_host_is_announced_and_logged_as_the_addresses_it_binds(tmp_path: Path) -> None:
    port = ports.free_port()
    server = _serving_every_address(tmp_path, port)
    assert server.stderr is not None
    announce, started = "", {}
    try:
        for line in server.stderr:
            if line.startswith("envkeep server on "):
                announce = line
            elif '"server_started"' in line:
                started = json.loads(line)
                break
    finally:
        server.terminate()
        server.communicate(timeout=30)
    bound = {address(host, port) for _, host, _, _ in _as_asyncio_binds("")}
    assert f"0.0.0.0:{port}" in bound
    urls = announce.removeprefix("envkeep server on ").split(" (")[0]
    assert set(urls.split(" and ")) == {f"http://{each}" for each in bound}, announce
    assert set(str(started.get("address")).split(" and ")) == bound, started
