"""The team server a command about members, roles, tokens or keys needs, or why there is none."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.core.errors import UsageError

if TYPE_CHECKING:
    from envkeep.client.context import ClientContext
    from envkeep.client.http import HttpBackend


def team_backend(ctx: ClientContext) -> HttpBackend:
    """The team server's backend; a usage error on the embedded store, found before the
    store is opened (opening it makes this machine's identity, for nothing here)."""
    from envkeep.client.http import HttpBackend

    if ctx.server_url is None:
        if not ctx.has_checkout:
            raise UsageError(
                "members, roles and tokens live on a team server, and you are not logged in to one",
                hint="envkeep login URL (or, with an invite: envkeep join URL CODE)",
            )
        raise UsageError(
            "members and roles live on a team server; project"
            f" '{ctx.project_file.project}' uses the embedded store",
            hint="log in to a server and create the project there: envkeep login URL",
        )
    backend = ctx.backend
    if not isinstance(backend, HttpBackend):  # a server URL makes an HTTP backend
        raise UsageError("this command needs a team server", hint="envkeep login URL")
    return backend
