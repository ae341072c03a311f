"""Whether a new token needs ENVKEEP_SERVER beside it: not in a checkout of its project whose
envkeep.toml names the server it was made on, where a command takes the server from the file
(`ClientContext.server_url`). `token create` said "with ENVKEEP_SERVER" whatever the case."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.client.checkout_store import same_server

if TYPE_CHECKING:
    from envkeep.client.context import ClientContext

__all__ = ["checkout_names_server"]


def checkout_names_server(ctx: ClientContext, project: str | None) -> bool:
    """Whether this checkout's envkeep.toml names the server ``ctx`` talks to, and its project
    is the token's ``project`` (None: a workspace-wide token, which reads it too)."""
    url = ctx.server_url
    if url is None or not ctx.has_checkout:
        return False
    checkout = ctx.project_file
    if project is not None and project != checkout.project:
        return False
    return same_server(checkout.server, url)
