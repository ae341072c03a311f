"""Launching a command with an environment's resolved values."""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

from envkeep.client import runcache_save
from envkeep.client.runner import child_environment, exec_command
from envkeep.client.variables import resolved_values
from envkeep.core.errors import UsageError
from envkeep.settings import process_environment

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from envkeep.client.context import ClientContext


def run_with_environment(
    ctx: ClientContext,
    env: str | None,
    service: str | None,
    argv: Sequence[str],
    *,
    validate: bool = True,
) -> NoReturn:
    """Resolve (and validate, unless told not to), then replace this process with ``argv``.
    On the embedded store the values are kept for the next same run (``client/runcache.py``)."""
    if not argv:
        raise UsageError("no command given", hint="usage: envkeep run --env dev -- COMMAND [ARGS]")
    pending = runcache_save.begin(ctx, env, service, validate=validate)
    service = ctx.default_service(service)
    values = resolved_values(ctx, ctx.default_env(env), service, validate=validate)
    if pending is not None:
        runcache_save.finish(ctx, pending, values)
    run_with_values(ctx, argv, values)


def run_with_values(ctx: ClientContext, argv: Sequence[str], values: Mapping[str, str]) -> NoReturn:
    """Replace this process with ``argv``, ``values`` added to its environment."""
    if not argv:
        raise UsageError("no command given", hint="usage: envkeep run --env dev -- COMMAND [ARGS]")
    ctx.close()
    exec_command(argv, child_environment(process_environment(), values))
