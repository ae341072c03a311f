"""The ``${service.NAME}`` references that removing a service breaks, in every environment of
the project the caller can read, worked out around the removal rather than before it.

The state before the removal is the state after it plus the service's own values: those are
read before it (`values_before`, a narrow read of the service's scope, a few hundred values),
every scope after it (`broken_after`). The read after it is also the one that keeps the copy
for reads offline (`HttpBackend.remove_service` deletes the copies from before; it is made
even when the environments could not be listed before the removal), so each
environment is fetched and opened whole once: reading every scope before the removal for this
warning, and again after it for the kept copies, made `service remove` in a project of 60
services x 150 variables in 4 environments fetch and decrypt 73,600 values where 36,800 do.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from envkeep.client.broken_references import BrokenReference, newly_broken
from envkeep.client.resolution import team_layers
from envkeep.core.errors import EnvkeepError

if TYPE_CHECKING:
    from envkeep.client.context import ClientContext

    # Each environment read before the removal: the service's own values there.
    ValuesBefore = dict[str, dict[str, str]]


def values_before(ctx: ClientContext, service: str) -> ValuesBefore | None:
    """``service``'s own values in each environment this caller can read (one narrow read
    each); an environment it cannot read is left out (nothing to say of it). None: the
    environments could not be listed."""
    from envkeep.client.reading import read_environment

    try:
        # Unlocked before the first request: a passphrase's key derivation between two
        # requests can outlast the server's keep-alive, and the next request then fails.
        ctx.identity  # noqa: B018 - unlocks it (a cached property)
        environments = ctx.backend.list_environments(ctx.project_file.project)
    except EnvkeepError:  # the warning is a courtesy: the removal itself says what is wrong
        return None
    found: ValuesBefore = {}
    for environment in environments:
        try:
            opened = read_environment(ctx, environment.name, [service])
        except EnvkeepError:  # not readable to this caller (no role, no key): nothing to say
            continue
        scope = opened.scope_for(service)
        found[environment.name] = {v.name: v.value for v in opened.variables(scope)}
    return found


def broken_after(
    ctx: ClientContext, service: str, before: ValuesBefore | None
) -> list[BrokenReference]:
    """The references that resolved with ``service`` and its values (``before``) and do not
    now it is removed, in each environment of ``before`` (one read each, every scope), the
    same reference broken in several said once, naming them. ``before`` None (they could not
    be listed before the removal): every environment listed now is read, to keep its copy,
    with nothing to say of it."""
    from envkeep.client.reading import read_environment

    found: dict[BrokenReference, list[str]] = {}
    for env, values in (_listed_now(ctx) if before is None else before).items():
        try:
            layers = team_layers(ctx, read_environment(ctx, env))
        except EnvkeepError:  # unreadable now (the server went away): nothing to say
            continue
        if layers is None or values is None:  # a broken template (its commands say so),
            continue  # or no values from before the removal to compare with
        after = layers.without_service(service)
        for broken in newly_broken(after.with_changes(service, values), after):
            found.setdefault(broken, []).append(env)
    return [replace(broken, environments=tuple(envs)) for broken, envs in found.items()]


def _listed_now(ctx: ClientContext) -> dict[str, dict[str, str] | None]:
    """Each environment listed after the removal, with no values from before; none when they
    still cannot be listed (the next read keeps the copies then)."""
    try:
        environments = ctx.backend.list_environments(ctx.project_file.project)
    except EnvkeepError:
        return {}
    return {environment.name: None for environment in environments}
