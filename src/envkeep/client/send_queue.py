"""What a connection's kernel still holds of the bytes it was given to send.

``send()`` returns once bytes are in the socket's send buffer, not once the server has them:
a request body written in milliseconds into a buffer of megabytes may take minutes to reach a
server over a slow link. Linux tells how much is still unsent or unacknowledged (SIOCOUTQ);
elsewhere only how much the buffer may hold (SO_SNDBUF), a bound and not a measure.
"""

from __future__ import annotations

import array
import socket
import sys
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import httpcore

# What is assumed in flight when a connection shows no socket to ask: Linux's largest default
# send buffer (net.ipv4.tcp_wmem), which its autotuning reaches on a fast link.
MOST_IN_FLIGHT: Final = 4 * 1024 * 1024


def queued(stream: httpcore.NetworkStream) -> int | None:
    """The bytes written to ``stream`` its kernel has not yet seen acknowledged; None where
    the system does not tell (not Linux, or no socket under the stream)."""
    sock = _socket(stream)
    if sock is None or sys.platform != "linux":
        return None
    import fcntl
    import termios

    count = array.array("i", [0])
    try:
        fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, count)  # SIOCOUTQ on a TCP socket
    except (OSError, ValueError):  # closed, or not a socket the ioctl knows
        return None
    return count[0]


def could_hold(stream: httpcore.NetworkStream) -> int:
    """The most ``stream``'s kernel may hold unsent: its send buffer's size, else
    `MOST_IN_FLIGHT`."""
    sock = _socket(stream)
    if sock is None:
        return MOST_IN_FLIGHT
    try:
        return int(sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF))
    except (OSError, ValueError):
        return MOST_IN_FLIGHT


def _socket(stream: httpcore.NetworkStream) -> socket.socket | None:
    sock = stream.get_extra_info("socket")  # httpcore's sync streams, TLS and a tunnel's too
    return sock if isinstance(sock, socket.socket) else None
