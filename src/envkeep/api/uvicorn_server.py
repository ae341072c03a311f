"""uvicorn's server, telling the JSON log when it starts serving and when it has stopped.

One line each, in the structlog stream the request lines go to (stderr): ``server_started``
once the address is bound (version, address, database without its password, rate store)
and ``server_stopped`` once the connections are drained or the graceful-shutdown deadline
cancelled what was left (how long that took). The stop line is written before returning:
uvicorn then raises the signal that stopped it again, which ends the process at once.

A stop asked for with SIGTERM (systemd, Kubernetes, `docker stop`) ends the process with
status 0 once the shutdown is done, as Ctrl-C's does: under SIGTERM's default action the
signal uvicorn raises again killed it (status 143), a stop the supervisor asked for reported
as a failure (a `set -e` wrapper script stopped there, `docker ps` said "Exited (143)").
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from typing import TYPE_CHECKING

import structlog
import uvicorn

from envkeep.api.listening import listening_sockets
from envkeep.api.requestlog import stderr_lines

if TYPE_CHECKING:
    import socket
    from collections.abc import Iterator
    from types import FrameType


class LoggedServer(uvicorn.Server):
    """``uvicorn.Server`` logging ``facts`` when it serves, and its stop."""

    def __init__(self, config: uvicorn.Config, facts: dict[str, object]) -> None:
        super().__init__(config)
        self.facts = facts

    def run(self, sockets: list[socket.socket] | None = None) -> None:
        if sockets is None:  # `::` as a dual-stack socket (`listening`): uvicorn's is IPv6 only
            sockets = listening_sockets(self.config.host, self.config.port)
        with _sigterm_exits_cleanly():
            super().run(sockets)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            structlog.get_logger("envkeep.server").info("server_started", **self.facts)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        began = time.monotonic()
        await super().shutdown(sockets)
        structlog.get_logger("envkeep.server").info(
            "server_stopped",
            address=self.facts.get("address"),
            seconds=round(time.monotonic() - began, 3),
        )
        stderr_lines().flush()


def _stopped(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


@contextlib.contextmanager
def _sigterm_exits_cleanly() -> Iterator[None]:
    """SIGTERM's action while uvicorn is not handling it itself: before it starts (a stop
    during the start), and once it has shut down and raises the signal again."""
    if threading.current_thread() is not threading.main_thread():  # signals are the main's
        yield
        return
    kept = signal.signal(signal.SIGTERM, _stopped)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, kept)
