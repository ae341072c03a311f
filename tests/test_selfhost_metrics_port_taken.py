"""`envkeep server --metrics-port P` where P is another program's: one line naming the address
and what to do, never "unexpected OSError; this is a bug". The port is bound once, when it is
checked, and kept: checked, closed and bound again when the metrics were served, it could be
taken in between. Real server processes; the other program is a listening socket."""

from __future__ import annotations

import contextlib
import errno
import socket
import subprocess
import time
from typing import TYPE_CHECKING

import httpx
import pytest

from envkeep.api.listening import bound_socket
from envkeep.api.serve import migrate
from envkeep.core.errors import PortInUse
from tests import ports
from tests.server import ENVKEEP, _environ

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@contextlib.contextmanager
def _listening(port: int) -> Iterator[socket.socket]:
    """Another program's socket, listening on 127.0.0.1:``port``."""
    with socket.create_server(("127.0.0.1", port)) as other:
        yield other


def _server(tmp_path: Path, metrics_port: int) -> subprocess.Popen[str]:
    database = f"sqlite:///{tmp_path / 'server.db'}"
    migrate(database)
    home = tmp_path / "server-home"
    home.mkdir(exist_ok=True)
    command = [*ENVKEEP, "server", "--host", "127.0.0.1", "--port", str(ports.free_port())]
    return subprocess.Popen(
        [*command, "--db", database, "--metrics-port", str(metrics_port)],
        env=_environ(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_metrics_port_another_program_listens_on_stops_the_start_saying_so(
    tmp_path: Path,
) -> None:
    taken = ports.free_port()
    with _listening(taken):
        server = _server(tmp_path, taken)
        _, said = server.communicate(timeout=120)
    assert server.returncode == 6, said
    assert said.splitlines() == [
        f"error: cannot listen on 127.0.0.1:{taken}: another program uses that port",
        "hint: stop it, or give --metrics-port another port",
    ]


def test_a_port_in_use_is_refused_with_its_own_code() -> None:
    taken = ports.free_port()
    with _listening(taken), pytest.raises(PortInUse) as refused:
        bound_socket("127.0.0.1", taken, "--metrics-port")
    assert refused.value.code == "port_in_use"
    assert str(refused.value) == (
        f"cannot listen on 127.0.0.1:{taken}: another program uses that port"
    )


def test_the_metrics_port_is_the_servers_from_when_it_says_where_it_serves(
    tmp_path: Path,
) -> None:
    metrics_port = ports.free_port()
    server = _server(tmp_path, metrics_port)
    try:
        assert server.stderr is not None
        announced = server.stderr.readline()
        assert f"metrics: http://127.0.0.1:{metrics_port})" in announced, announced
        # Another program trying the port now, while the server is still starting, finds it
        # the server's: before, the check's socket was closed, and one taking the port here
        # failed the start.
        with pytest.raises(OSError, match="in use") as refused:
            socket.create_server(("127.0.0.1", metrics_port)).close()
        assert refused.value.errno == errno.EADDRINUSE
        scraped = _scraped(f"http://127.0.0.1:{metrics_port}/metrics")
        assert "envkeep_" in scraped
    finally:
        server.terminate()
        server.communicate(timeout=30)


def _scraped(url: str) -> str:
    """The metrics' text once the server serves them (it is still starting)."""
    for _ in range(600):
        with contextlib.suppress(httpx.TransportError):
            return httpx.get(url, timeout=1).raise_for_status().text
        time.sleep(0.05)
    raise AssertionError(f"nothing answered on {url}")
