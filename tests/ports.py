"""Loopback ports for the servers a test session starts (PostgreSQL, `envkeep server`).

A port the kernel picks with ``bind(0)`` comes from the ephemeral range, the same range every
client socket's source port comes from: between choosing it and the server binding it, a
connection of another test (or of another xdist worker) may take it, and a worker may even be
handed a port another worker just chose. Ports here come from below the ephemeral range
instead, from a block of their own for each xdist worker, starting at an offset drawn from the
process id (two test runs on one machine), and each is checked to be free when it is handed out.
Servers that still lose the race (something else bound the port meanwhile) are started again
on the next port by their callers (`STARTS`).
"""

from __future__ import annotations

import itertools
import os
import socket

FIRST = 20_000  # Linux's ephemeral range starts at 32768 by default
BLOCK = 1_000  # ports per xdist worker: gw0 gets 20000-20999, gw1 21000-21999, ...
WORKERS = 12
STARTS = 3  # tries a caller gives a server whose port was taken meanwhile

_counter = itertools.count(os.getpid() % BLOCK)


def _worker() -> int:
    name = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    digits = name.removeprefix("gw")
    return int(digits) % WORKERS if digits.isdigit() else 0


def free_port() -> int:
    """A loopback port of this worker's block that nothing listens on now."""
    base = FIRST + _worker() * BLOCK
    for _ in range(BLOCK):
        port = base + next(_counter) % BLOCK
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError(f"no free loopback port in {base}-{base + BLOCK - 1}")
