"""A refused read of the project's default environment, taken because no ``--env`` was given:
a member with a role on another environment alone (a reader of staging) met "you need the read
role on environment shop/dev" on every command and was not told that dev was only the default,
nor which environment it may read. And a default environment that does not exist (a typo in
envkeep.toml's ``default_env``): the user typed no name, so the error says where it comes
from."""

from __future__ import annotations

import re
import shlex
from typing import TYPE_CHECKING

from envkeep.core.errors import EnvironmentNotFound, EnvkeepError, PermissionDenied

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
    first = shlex.quote(others[0])  # a line to paste: the name is the server's to choose
    return PermissionDenied(
        f"{refused.message}; '{env}' is the project's default environment, taken as no --env"
        " was given",
        hint=f"pass one you can read: --env {first}{more}, or for every command:"
        f" export ENVKEEP_ENV={first}",
        needed=refused.needed,
        scope=refused.scope,
    )


def missing_default(
    ctx: ClientContext, env: str, missing: EnvironmentNotFound
) -> EnvironmentNotFound:
    """``missing`` saying that ``env`` is envkeep.toml's ``default_env`` (at its line), taken
    as no --env was given, with the fix there: its "did you mean" kept."""
    from envkeep.core._tomltext import key_line

    path = ctx.project_file.path
    try:
        line = key_line(path.read_text(encoding="utf-8").split("\n"), (), "default_env")
    except OSError:
        line = None
    where = f"{path}:{line}" if line is not None else str(path)
    meant = re.search(r"did you mean '([^']+)'", missing.hint or "")
    fix = (
        f'set default_env = "{meant[1]}" there'
        if meant
        else "set default_env there to one of the project's environments (envkeep env list)"
    )
    return EnvironmentNotFound(
        f"{missing.message}; '{env}' is envkeep.toml's default_env ({where}), taken as no --env"
        " was given",
        hint=f"{fix}, or pass --env",
    )


def missing_from_variable(env: str, missing: EnvironmentNotFound) -> EnvironmentNotFound:
    """``missing`` saying that ``env`` came from ENVKEEP_ENV, which the user did not type
    here: its "did you mean" kept."""
    meant = re.search(r"did you mean '([^']+)'", missing.hint or "")
    fix = f"ENVKEEP_ENV={meant[1]}" if meant else "ENVKEEP_ENV to one of them (envkeep env list)"
    return EnvironmentNotFound(
        f"{missing.message}; '{env}' is ENVKEEP_ENV's, taken as no --env was given",
        hint=f"set {fix}, unset it for the project's default_env, or pass --env",
    )
