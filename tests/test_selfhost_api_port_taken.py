"""`envkeep server --port P`: the port is bound once, when the start checks it, and that socket
served. Checked, closed and bound again by uvicorn (for every --host but ``::``), a port taken
in between ended the start with "could not start (uvicorn's error is above)", not PortInUse.
The sockets are those uvicorn's own binding (asyncio's) made: the same addresses for a name,
SO_REUSEADDR on, IPv6 only unless ``::``. Real server processes where it is about a start."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import subprocess
import time
from typing import TYPE_CHECKING

import httpx
import pytest

from envkeep.api.listening import listening_sockets
from envkeep.api.serve import migrate
from envkeep.core.errors import EnvkeepError, PortInUse
from tests import ports
from tests.server import ENVKEEP, _environ

if TYPE_CHECKING:
    from pathlib import Path


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


HOSTS = ["127.0.0.1", "0.0.0.0", "localhost"]  # noqa: S104 - a bind asyncio makes too
if _ipv6_loopback():
    HOSTS.append("::1")


def _server(tmp_path: Path, port: int) -> subprocess.Popen[str]:
    database = f"sqlite:///{tmp_path / 'server.db'}"
    migrate(database)
    home = tmp_path / "server-home"
    home.mkdir(exist_ok=True)
    return subprocess.Popen(
        [*ENVKEEP, "server", "--host", "127.0.0.1", "--port", str(port), "--db", database],
        env=_environ(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_the_api_port_is_the_servers_from_when_it_says_where_it_serves(tmp_path: Path) -> None:
    port = ports.free_port()
    server = _server(tmp_path, port)
    try:
        assert server.stderr is not None
        announced = server.stderr.readline()
        assert announced.startswith(f"envkeep server on http://127.0.0.1:{port} "), announced
        # Another program trying the port now, while the server is still starting, finds it
        # the server's: before, the check's socket was closed, one taking the port here got
        # it, and the start failed with "could not start (uvicorn's error is above)".
        with pytest.raises(OSError, match="in use") as refused:
            socket.create_server(("127.0.0.1", port)).close()
        assert refused.value.errno == errno.EADDRINUSE
        assert _answered(f"http://127.0.0.1:{port}/healthz") == 200
    finally:
        server.terminate()
        _, said = server.communicate(timeout=30)
    assert "could not start" not in said


def _answered(url: str) -> int:
    """The status of ``url`` once the server answers (it is still starting)."""
    for _ in range(600):
        with contextlib.suppress(httpx.TransportError):
            return httpx.get(url, timeout=1).status_code
        time.sleep(0.05)
    raise AssertionError(f"nothing answered on {url}")


def _as_asyncio_binds(host: str) -> list[tuple[int, str, int, int]]:
    """What uvicorn's own binding made of ``host`` (asyncio's ``create_server``): each
    socket's family, address, SO_REUSEADDR and IPV6_V6ONLY (-1: IPv4)."""

    async def bound() -> list[tuple[int, str, int, int]]:
        server = await asyncio.get_running_loop().create_server(asyncio.Protocol, host, 0)
        try:
            return [_facts(each) for each in server.sockets]
        finally:
            server.close()

    return asyncio.run(bound())


def _facts(bound: socket.socket) -> tuple[int, str, int, int]:
    v6only = -1
    if bound.family == socket.AF_INET6:
        v6only = bound.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY)
    reuse = bound.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)
    return (bound.family, bound.getsockname()[0], int(bool(reuse)), v6only)


@pytest.mark.parametrize("host", HOSTS)
def test_the_sockets_bound_are_those_uvicorns_own_binding_made(host: str) -> None:
    bound = listening_sockets(host, ports.free_port())
    try:
        assert sorted(_facts(each) for each in bound) == sorted(_as_asyncio_binds(host))
        assert all(each.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) for each in bound)
    finally:
        for each in bound:
            each.close()


def test_a_name_whose_port_another_program_holds_is_port_in_use() -> None:
    taken = ports.free_port()
    with socket.create_server(("127.0.0.1", taken)), pytest.raises(PortInUse) as refused:
        listening_sockets("localhost", taken)
    assert refused.value.code == "port_in_use"
    assert str(refused.value) == (
        f"cannot listen on 127.0.0.1:{taken}: another program uses that port"
    )
    assert refused.value.hint == "stop it, or give --port another port"


def test_a_name_that_resolves_to_nothing_is_refused_naming_it() -> None:
    with pytest.raises(EnvkeepError) as refused:
        listening_sockets("no-such-host.invalid", 8600)
    assert not isinstance(refused.value, PortInUse)
    assert str(refused.value).startswith("cannot listen on no-such-host.invalid:8600: ")
    assert refused.value.hint == "check the address (one of this machine's) and --port"
