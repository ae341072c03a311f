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
A SIGTERM before the server serves (before its main loop: while it starts, or uvicorn's
startup bound and then saw the stop it had captured meanwhile) ends it with status 143, as
SIGTERM's default action did, after a ``server_start_stopped`` line: a server stopped while
starting never served, and a clean status would tell the supervisor it had. Both are
`start_sigterm.taken`'s, which `serve.run_app` holds; `main_loop` says when it serves.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import structlog
import uvicorn

from envkeep.api.requestlog import stderr_lines
from envkeep.api.start_sigterm import serving

if TYPE_CHECKING:
    import socket


class LoggedServer(uvicorn.Server):
    """``uvicorn.Server`` logging ``facts`` when it serves, and its stop. It serves
    ``listening``, the sockets the start bound (`listening.listening_sockets`), which the
    start closes however it ends."""

    def __init__(
        self, config: uvicorn.Config, facts: dict[str, object], listening: list[socket.socket]
    ) -> None:
        super().__init__(config)
        self.facts = facts
        self.listening = listening
        self.serving = False  # its main loop began: it accepted connections

    def run(self, sockets: list[socket.socket] | None = None) -> None:
        super().run(sockets or self.listening)

    async def main_loop(self) -> None:
        self.serving = True
        serving()  # a SIGTERM `start_sigterm.taken` is now this server's stop: 0
        await super().main_loop()

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
