"""Reading what a service sees, resolved: every value (`run`, `export`), or one (`get`),
each with where it came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from envkeep.client.variable_not_found import variable_not_found

if TYPE_CHECKING:
    from collections.abc import Sequence

    from envkeep.client.context import ClientContext
    from envkeep.core.resolve import Resolution


def resolved_values(
    ctx: ClientContext, env: str, service: str | None, *, validate: bool = False
) -> dict[str, str]:
    """What the service (or, for None, the shared scope) sees: templates, shared scope,
    service scope, local overrides, references expanded. ``validate`` refuses (exit 3) on
    schema errors; reference errors always raise."""
    return resolved(ctx, env, service, validate=validate).values


def resolved(
    ctx: ClientContext, env: str, service: str | None, *, validate: bool = False
) -> Resolution:
    """``resolved_values`` with where each value came from (`Resolution`)."""
    from envkeep.client.validation import check_service, refuse_on_errors

    checked = check_service(ctx, env, service)
    if validate:
        refuse_on_errors([checked], env)
    checked.raise_unresolved()
    return checked.resolution


@dataclass(frozen=True)
class GotValue:
    """One resolved value, and whether this machine's ``.envkeep/local.env`` gave it (a
    personal override: the team's value is another)."""

    value: str = field(repr=False)
    personal: bool


def get_value(ctx: ClientContext, env: str, service: str | None, name: str) -> GotValue:
    """One resolved value; a broken reference elsewhere in the environment does not matter."""
    return get_values(ctx, env, service, [name])[0]


def get_values(
    ctx: ClientContext, env: str, service: str | None, names: Sequence[str]
) -> list[GotValue]:
    """The resolved values of ``names``, in their order, from one resolution; the first name
    not found or not resolving raises, as for one (`get_value`)."""
    from envkeep.client.validation import check_service

    checked = check_service(ctx, env, service)
    resolution = checked.resolution
    for name in names:
        if name not in resolution.values:
            raise variable_not_found(
                ctx, name, env, service, seen=resolution, present=resolution.values.__contains__
            )
        checked.raise_unresolved(name)
    personal = resolution.set_by({"local"})
    return [GotValue(resolution.values[name], name in personal) for name in names]
