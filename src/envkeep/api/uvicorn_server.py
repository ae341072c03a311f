"""uvicorn's server, telling the JSON log when it starts serving and when it has stopped.

One line each, in the structlog stream the request lines go to (stderr): ``server_started``
once the address is bound (version, address, database without its password, rate store)
and ``server_stopped`` once the connections are drained or the graceful-shutdown deadline
cancelled what was left (how long that took). The stop line is written before returning:
uvicorn then raises the signal that stopped it again, which ends the process at once.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import structlog
import uvicorn

from envkeep.api.requestlog import stderr_lines

if TYPE_CHECKING:
    import socket


class LoggedServer(uvicorn.Server):
    """``uvicorn.Server`` logging ``facts`` when it serves, and its stop."""

    def __init__(self, config: uvicorn.Config, facts: dict[str, object]) -> None:
        super().__init__(config)
        self.facts = facts

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
