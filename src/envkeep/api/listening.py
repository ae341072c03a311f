"""Where the server listens: an address as a URL writes it, a port checked free before
anything is served or printed, and ``::`` taking IPv4 clients too.

asyncio (under uvicorn) turns ``IPV6_V6ONLY`` on for every IPv6 socket it binds, so `--host ::`
served IPv6 clients only and refused 127.0.0.1, where most servers (and Linux's own default)
take both. For ``::`` the server binds a dual-stack socket itself and hands it to uvicorn,
and `IPv4Peers` gives its IPv4 clients their own addresses.
"""

from __future__ import annotations

import errno
import functools
import ipaddress
import socket
from typing import TYPE_CHECKING

from envkeep.core.errors import EnvkeepError, PortInUse
from envkeep.ipv4_mapped import unmapped

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

ANY_IPV6 = "::"


def address(host: str, port: int) -> str:
    """``host:port`` as a URL writes it: an IPv6 address in brackets (``[::1]:8600``)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def is_dual_stack(host: str) -> bool:
    """Whether ``host`` is bound as one socket for IPv6 and IPv4 (``::``, where the system
    allows it)."""
    return host == ANY_IPV6 and socket.has_dualstack_ipv6()


def listening_sockets(host: str, port: int) -> list[socket.socket] | None:
    """For ``::``, a listening socket that takes IPv4 clients too (``IPV6_V6ONLY`` off), for
    uvicorn to serve; None: uvicorn binds ``host`` itself (any other address, or a system
    without dual-stack sockets, where ``::`` stays IPv6 only)."""
    if not is_dual_stack(host):
        return None
    return [bound_socket(host, port, "--port")]


def check_port(host: str, port: int, *, flag: str = "--port") -> None:
    """Refuse, before anything is served or printed, an address another program listens on
    (uvicorn would log the error and exit with its own code, 3, after the start was
    announced); for ``::``, on IPv4 too. ``flag``: the option that gave the port."""
    bound_socket(host, port, flag).close()


def bound_socket(host: str, port: int, flag: str) -> socket.socket:
    """A socket listening on ``host:port`` (dual-stack for ``::``); an EnvkeepError saying
    why not (`PortInUse` if another program listens there). ``flag``: the option that gave
    the port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET  # as uvicorn picks it
    try:
        return socket.create_server((host, port), family=family, dualstack_ipv6=is_dual_stack(host))
    except OSError as failed:
        if failed.errno == errno.EADDRINUSE:
            raise PortInUse(
                f"cannot listen on {address(host, port)}: another program uses that port",
                hint=f"stop it, or give {flag} another port",
            ) from None
        raise EnvkeepError(
            f"cannot listen on {address(host, port)}: {failed.strerror or failed}",
            hint=f"check the address (one of this machine's) and {flag}",
        ) from None


class IPv4Peers:
    """ASGI layer for a dual-stack socket: an IPv4 client comes as ``::ffff:192.0.2.7``; it is
    given as ``192.0.2.7``, as an IPv4 socket gives it, so that the audit trail, the log, the
    per-IP limit and ``--trusted-proxies`` (IPv4 networks match no IPv6 address) see the
    address the client has."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        peer = scope.get("client")
        if peer and (host := peer_host(peer[0])) != peer[0]:
            scope = {**scope, "client": (host, peer[1])}
        await self.app(scope, receive, send)


@functools.lru_cache(maxsize=4096)  # peers repeat: an address is parsed once, not per request
def peer_host(host: str) -> str:
    """A dual-stack socket's peer ``host`` as the app sees it: the IPv4 address an
    IPv4-mapped one maps (`envkeep.ipv4_mapped`), else ``host`` as it came."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:  # no address: a test client's name
        return host
    seen = unmapped(address)
    return host if seen is address else str(seen)
