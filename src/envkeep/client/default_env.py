"""A refused read of the project's default environment, taken because no ``--env`` was given:
a member with a role on another environment alone (a reader of staging) met "you need the read
role on environment shop/dev" on every command and was not told that dev was only the default,
nor which environment it may read."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.core.errors import EnvkeepError, PermissionDenied

if TYPE_CHECKING:
    from envkeep.client.context import ClientContext


def refused_default(ctx: ClientContext, env: str, refused: PermissionDenied) -> PermissionDenied:
    """``refused`` saying that ``env`` was the project's default, with the environments the
    caller reads to pass instead; as it was when it reads none (or they cannot be listed)."""
    try:
        readable = [e.name for e in ctx.backend.list_environments(ctx.project_file.project)]
    except EnvkeepError:
        return refused
    others = [name for name in readable if name != env]
    if not others:
        return refused
    more = f" (you read: {', '.join(others)})" if len(others) > 1 else ""
    return PermissionDenied(
        f"{refused.message}; '{env}' is the project's default environment, taken as no --env"
        " was given",
        hint=f"pass one you can read: --env {others[0]}{more}",
        needed=refused.needed,
        scope=refused.scope,
    )
