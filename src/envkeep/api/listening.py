"""Where the server listens: an address as a URL writes it, the port bound before anything
is served or printed (and that socket served), and ``::`` taking IPv4 clients too.

asyncio (under uvicorn) turns ``IPV6_V6ONLY`` on for every IPv6 socket it binds, so `--host ::`
served IPv6 clients only and refused 127.0.0.1, where most servers (and Linux's own default)
take both. For ``::`` the server binds a dual-stack socket, and `IPv4Peers` gives its IPv4
clients their own addresses.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import ipaddress
import socket
from typing import TYPE_CHECKING, cast

from envkeep.core.errors import EnvkeepError, PortInUse
from envkeep.ipv4_mapped import unmapped

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

ANY_IPV6 = "::"


def address(host: str, port: int) -> str:
    """``host:port`` as a URL writes it: an IPv6 address in brackets (``[::1]:8600``)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def shown_address(host: str, port: int) -> str:
    """Where a server on ``host:port`` listens, as its start line and its log say it
    (`address`); an empty host, every address, as the addresses it binds
    (``0.0.0.0:8600 and [::]:8600``, as those given alone are said): ``:8600`` is no address
    a client can use."""
    return " and ".join(_shown(host, port))


def shown_urls(host: str, port: int) -> str:
    """`shown_address` as URLs: ``http://0.0.0.0:8600 and http://[::]:8600``."""
    return " and ".join(f"http://{each}" for each in _shown(host, port))


def _shown(host: str, port: int) -> list[str]:
    hosts = _addresses(host, port) if host == "" else [host]
    return [address(each, port) for each in hosts]


def is_dual_stack(host: str) -> bool:
    """Whether ``host`` is bound as one socket for IPv6 and IPv4 (``::``, where the system
    allows it)."""
    return host == ANY_IPV6 and socket.has_dualstack_ipv6()


def listening_sockets(host: str, port: int) -> list[socket.socket]:
    """Sockets listening on ``host:port`` for uvicorn to serve, bound before anything is
    served or announced and kept: checked, closed and bound again by uvicorn, the port could
    be taken in between, and the start failed with "uvicorn's error is above". One per
    address a name resolves to, as asyncio (uvicorn's own binding) makes them; one dual-stack
    socket for ``::``. `PortInUse` if another program listens on one of them."""
    dual_stack = is_dual_stack(host)  # a name's (or ""'s) ``::`` stays IPv6 only, as asyncio's
    held: list[socket.socket] = []
    try:
        for each in _addresses(host, port):
            held.append(bound_socket(each, port, "--port", dual_stack=dual_stack))
    except BaseException:
        for bound in held:
            bound.close()
        raise
    return held


def _addresses(host: str, port: int) -> list[str]:
    """``host`` if it is an address, else the addresses it resolves to for listening, in the
    system's order (``localhost``: 127.0.0.1, and ::1 where /etc/hosts says so; ``""``: every
    address, 0.0.0.0 and ``::``, as asyncio takes it)."""
    with contextlib.suppress(ValueError):
        ipaddress.ip_address(host)
        return [host]
    try:
        found = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except OSError as failed:
        raise _cannot_listen(host, port, "--port", failed) from None
    return list(dict.fromkeys(_scoped(sockaddr) for *_, sockaddr in found))


def _scoped(sockaddr: tuple[object, ...]) -> str:
    """A resolved address as text, with its scope (``fe80::1%4``) where it has one."""
    host = str(sockaddr[0])
    scope = sockaddr[3] if len(sockaddr) == 4 else 0  # IPv6's (host, port, flow, scope)
    return f"{host}%{scope}" if scope and "%" not in host else host


def bound_socket(
    host: str, port: int, flag: str, *, dual_stack: bool | None = None
) -> socket.socket:
    """A socket listening on ``host:port`` (dual-stack for ``::`` unless ``dual_stack`` says
    otherwise; ``SO_REUSEADDR`` on, as uvicorn and asyncio set it); an EnvkeepError saying why
    not (`PortInUse` if another program listens there). ``flag``: the option that gave the
    port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET  # as uvicorn picks it
    both = is_dual_stack(host) if dual_stack is None else dual_stack
    try:
        where = socket_address(host, port)
        return socket.create_server(where, family=family, dualstack_ipv6=both)
    except OSError as failed:
        raise _cannot_listen(host, port, flag, failed) from None


def socket_address(host: str, port: int) -> tuple[str, int] | tuple[str, int, int, int]:
    """What `bind` takes for ``host:port``: ``(host, port)``; for an IPv6 address with a scope
    (``fe80::1%eth0``, a link-local address and its interface) the 4-tuple `getaddrinfo`
    gives, its scope id in it: `bind` given the scope as text drops it, and a link-local
    address without one is refused ("Invalid argument"). `socket.gaierror` for an unknown
    interface."""
    if "%" not in host:
        return (host, port)
    found = socket.getaddrinfo(
        host, port, socket.AF_INET6, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST
    )
    return cast("tuple[str, int, int, int]", found[0][4])  # AF_INET6's: always four


def _cannot_listen(host: str, port: int, flag: str, failed: OSError) -> EnvkeepError:
    if failed.errno == errno.EADDRINUSE:
        return PortInUse(
            f"cannot listen on {address(host, port)}: another program uses that port",
            hint=f"stop it, or give {flag} another port",
        )
    if isinstance(failed, socket.gaierror) and "%" in host:  # fe80::1%eth9
        return EnvkeepError(
            f"cannot listen on {address(host, port)}: this machine has no network interface"
            f" '{host.partition('%')[2]}'",
            hint="after the %, give an interface `ip -6 addr` lists (e.g. eth0)",
        )
    return EnvkeepError(
        f"cannot listen on {address(host, port)}: {failed.strerror or failed}",
        hint=f"check the address (one of this machine's) and {flag}",
    )


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
