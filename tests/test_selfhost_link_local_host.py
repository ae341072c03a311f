"""`envkeep server --host fe80::…%eth0` (a link-local IPv6 address and its interface) listens
on that interface: the address went to `bind` as text, which drops the scope, and Linux
refuses a link-local address without one ("cannot listen on …: Invalid argument"). The scope
is kept as `getaddrinfo` gives it, in the socket address's fourth item."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from envkeep.api.listening import listening_sockets, socket_address
from envkeep.api.serve import migrate
from envkeep.core.errors import EnvkeepError
from tests.ports import free_port
from tests.server import ENVKEEP, _environ

_LINK_SCOPE = "20"  # /proc/net/if_inet6's scope of a link-local address


def _link_local() -> tuple[str, str, int] | None:
    """One of this machine's link-local IPv6 addresses: (address, interface, its index)."""
    table = Path("/proc/net/if_inet6")
    if not table.exists():
        return None
    for line in table.read_text().splitlines():
        digits, index, _length, scope, _flags, interface = line.split()
        if scope == _LINK_SCOPE:
            packed = bytes.fromhex(digits)
            return socket.inet_ntop(socket.AF_INET6, packed), interface, int(index, 16)
    return None


LINK_LOCAL = _link_local()
needs_link_local = pytest.mark.skipif(
    LINK_LOCAL is None, reason="this machine has no link-local IPv6 address to bind"
)


def test_an_ipv6_address_with_a_scope_resolves_with_its_scope_id() -> None:
    loopback = socket.if_nametoindex("lo")
    assert socket_address("fe80::1%lo", 8600) == ("fe80::1", 8600, 0, loopback)
    assert socket_address(f"fe80::1%{loopback}", 8600) == ("fe80::1", 8600, 0, loopback)
    assert socket_address("::1", 8600) == ("::1", 8600)  # as it was without a scope
    assert socket_address("127.0.0.1", 8600) == ("127.0.0.1", 8600)


def test_a_scope_naming_no_interface_is_said_as_such() -> None:
    with pytest.raises(EnvkeepError) as refused:
        listening_sockets("fe80::1%nosuch0", 0)
    assert "no network interface 'nosuch0'" in refused.value.message


@needs_link_local
def test_a_link_local_host_with_its_interface_is_bound_on_that_interface() -> None:
    assert LINK_LOCAL is not None
    host, interface, index = LINK_LOCAL
    (bound,) = listening_sockets(f"{host}%{interface}", 0)
    with bound:
        assert bound.getsockname()[::3] == (host, index)


@needs_link_local
def test_envkeep_server_serves_on_a_link_local_host_with_its_interface(tmp_path: Path) -> None:
    assert LINK_LOCAL is not None
    host, interface, index = LINK_LOCAL
    url, port = f"sqlite:///{tmp_path / 'server.db'}", free_port()
    migrate(url)
    process = subprocess.Popen(
        [*ENVKEEP, "server", "--host", f"{host}%{interface}", "--port", str(port), "--db", url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=_environ(tmp_path / "home"),
    )
    try:
        answer = _health(process, (host, port, 0, index))
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert answer.startswith("HTTP/1.1 200"), answer
    assert process.returncode == 0, err
    assert "server_stopped" in err


def _health(process: subprocess.Popen[str], where: tuple[str, int, int, int]) -> str:
    """The first line of /healthz's answer on ``where``, once the server serves there."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as client:
                client.settimeout(5)
                client.connect(where)
                client.sendall(
                    b"GET /healthz HTTP/1.1\r\nHost: envkeep\r\nConnection: close\r\n\r\n"
                )
                return client.recv(4096).decode().splitlines()[0]
        except OSError:
            time.sleep(0.05)
    raise AssertionError("the server never served on its link-local address")
