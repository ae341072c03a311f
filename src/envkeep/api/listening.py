"""Where the server listens: an address as a URL writes it, and a port checked free before
anything is served or printed."""

from __future__ import annotations

import errno
import socket

from envkeep.core.errors import EnvkeepError


def address(host: str, port: int) -> str:
    """``host:port`` as a URL writes it: an IPv6 address in brackets (``[::1]:8600``)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def check_port(host: str, port: int) -> None:
    """Refuse, before anything is served or printed, an address another program listens on
    (uvicorn would log the error and exit with its own code, 3, after the start was
    announced)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET  # as uvicorn picks it
    try:
        probe = socket.create_server((host, port), family=family)
    except OSError as failed:
        if failed.errno == errno.EADDRINUSE:
            raise EnvkeepError(
                f"cannot listen on {address(host, port)}: another program uses that port",
                hint="stop it, or give --port another port",
            ) from None
        raise EnvkeepError(
            f"cannot listen on {address(host, port)}: {failed.strerror or failed}",
            hint="check --host (an address of this machine) and --port",
        ) from None
    probe.close()
