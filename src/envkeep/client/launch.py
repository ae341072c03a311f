"""Launching a command with an environment's resolved values."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn

from envkeep.client import runcache_save
from envkeep.client.resolution import noting_without_checkout
from envkeep.client.resolving import resolved
from envkeep.client.runner import child_environment, exec_command
from envkeep.core.errors import UsageError
from envkeep.settings import process_environment

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping, Sequence

    from envkeep.client.context import ClientContext


def run_with_environment(
    ctx: ClientContext,
    env: str | None,
    service: str | None,
    argv: Sequence[str],
    *,
    validate: bool = True,
    pass_token: bool = False,
) -> NoReturn:
    """Resolve (and validate, unless told not to), then replace this process with ``argv``.
    On the embedded store the values are kept for the next same run (``client/runcache.py``).
    Without the project's checkout it runs all the same, with a note of what was not applied."""
    if not argv:
        raise UsageError("no command given", hint="usage: envkeep run --env dev -- COMMAND [ARGS]")
    # Kept under the environment the warm start looks for: --env, else ENVKEEP_ENV's (`fast`).
    pending = runcache_save.begin(ctx, env or ctx.settings.env, service, validate=validate)
    service = ctx.default_service(service)
    name = ctx.default_env(env)
    with noting_without_checkout(ctx, service, validate=validate), recording(ctx) as said:
        resolution = resolved(ctx, name, service, validate=validate)
    notes = personal_notes(ctx, name, resolution.set_by({"local"}))
    if pending is not None:  # a warm run says again what this one said (a protected env's note)
        runcache_save.finish(ctx, pending, resolution.values, (*said, *notes))
    if ctx.notify is not None:
        for note in notes:
            ctx.notify(note)
    run_with_values(ctx, argv, resolution.values, pass_token=pass_token)


@contextmanager
def recording(ctx: ClientContext) -> Iterator[list[str]]:
    """Collect what ``ctx.notify`` says (still saying it) while resolving: the notes a cold
    run printed, which its warm start prints again."""
    said: list[str] = []
    notify = ctx.notify
    if notify is None:
        yield said
        return

    def record(text: str) -> None:
        said.append(text)
        notify(text)

    ctx.notify = record
    try:
        yield said
    finally:
        ctx.notify = notify


def personal_notes(ctx: ClientContext, env: str, personal: Iterable[str]) -> tuple[str, ...]:
    """A note naming the values ``.envkeep/local.env`` gives a run in an environment other
    than the project's default: personal overrides reach every unprotected environment (and
    a protected one with ENVKEEP_LOCAL_OVERRIDES=on), and one meant for the daily loop is a
    surprise there."""
    if env == ctx.project_file.default_env:
        return ()
    from envkeep.client.resolution import personal_note

    note = personal_note(personal, env=env)
    return () if note is None else (note,)


def run_with_values(
    ctx: ClientContext,
    argv: Sequence[str],
    values: Mapping[str, str],
    *,
    pass_token: bool = False,
) -> NoReturn:
    """Replace this process with ``argv``, ``values`` added to its environment (and
    ENVKEEP_TOKEN kept in it with ``pass_token``, for a command that runs envkeep itself)."""
    if not argv:
        raise UsageError("no command given", hint="usage: envkeep run --env dev -- COMMAND [ARGS]")
    ctx.close()
    environment = child_environment(process_environment(), values, pass_token=pass_token)
    exec_command(argv, environment)
