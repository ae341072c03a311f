"""A request's body as it comes, for a layer that must see it before the app does: read to
its end within a limit, then handed out again."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.types import Message, Receive

__all__ = ["body_within", "replay"]


async def body_within(receive: Receive, limit: float = math.inf) -> list[Message] | None:
    """The messages of a body, to its end (or the client's disconnect); None as soon as more
    than ``limit`` bytes came (the rest is never read). Without a limit, never None: for a
    layer behind ``Observe``, which holds every body to the server's."""
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages
        limit -= len(message.get("body", b""))
        if limit < 0:
            return None
        if not message.get("more_body", False):
            return messages


def replay(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that hands out ``messages`` first, then the connection's own."""
    pending = list(reversed(messages))

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed
