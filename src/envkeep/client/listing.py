"""What `envkeep list` shows: the variables stored in a scope; for a service, the names it
gets only from its schema's or templates' defaults (stored nowhere); and the names this
machine's personal overrides set over all of them. A list of stored values would leave those
out without a word."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from envkeep.client.opening import open_environment
from envkeep.core.errors import InputError

if TYPE_CHECKING:
    from envkeep.client.context import ClientContext
    from envkeep.client.opened_secrets import Variable
    from envkeep.client.vault import OpenEnvironment

_STORED_LAYERS = ("shared", "local")


@dataclass(frozen=True)
class Listing:
    """The stored variables; by default layer (``schema default``, ``template:NAME``) the
    names the service gets from it alone; the names `.envkeep/local.env` sets (none in a
    protected environment, which never gets them). Names sorted."""

    variables: list[Variable]
    defaults_only: dict[str, tuple[str, ...]]
    personal: tuple[str, ...]
    service: str | None = None

    def overridden_by(self, variable: Variable) -> str | None:
        """What the service gets instead of ``variable``'s value, if anything: ``local`` for
        a name `.envkeep/local.env` sets (on this machine it wins over every stored one), the
        service's name for a shared variable its own scope also sets; None when it is in
        effect."""
        if variable.name in self.personal:
            return "local"
        if variable.scope == "shared" and self.service is not None:
            return self.service if variable.name in self._own else None
        return None

    def own(self, name: str) -> Variable | None:
        """The service's own variable called ``name``, if its scope sets it."""
        return self._own.get(name)

    def same_as_shared(self, variable: Variable) -> bool:
        """Whether ``variable`` is a service's override holding the shared scope's value for
        its name: redundant (`envkeep lift NAME` removes it)."""
        if variable.scope == "shared":
            return False
        return self._shared_values.get(variable.name) == variable.value

    # Built once: `list` asks of every variable, and a scan each time made listing 4,000
    # overrides take 12 s.
    @cached_property
    def _shared_values(self) -> dict[str, str]:
        return {v.name: v.value for v in self.variables if v.scope == "shared"}

    @cached_property
    def _own(self) -> dict[str, Variable]:
        return {v.name: v for v in self.variables if v.scope == self.service}


def list_variables(ctx: ClientContext, env: str, service: str | None) -> Listing:
    """The variables a service sees (shared and its own scope), or the shared scope alone."""
    from envkeep.client.personal_overrides import overrides_for

    opened = open_environment(ctx, env, service)
    found = opened.variables()
    personal: tuple[str, ...] = ()
    if ctx.has_checkout:
        with contextlib.suppress(InputError):  # a broken local.env: `run` and `get` say so
            personal = tuple(sorted(overrides_for(ctx, opened.snapshot.environment)))
    if service is None:
        return Listing(found, {}, personal)
    defaults = _defaults_only(ctx, opened, service, {v.name for v in found})
    return Listing(found, defaults, personal, service)


def _defaults_only(
    ctx: ClientContext, opened: OpenEnvironment, service: str, stored: set[str]
) -> dict[str, tuple[str, ...]]:
    from envkeep.client.resolution import arrange

    try:
        stack = arrange(ctx, opened, with_local=False).stack(service)
    except InputError:  # a broken schema or template: the commands that read them say what
        return {}
    claimed = set(stored)
    found: dict[str, tuple[str, ...]] = {}
    for layer in reversed(stack):  # highest first: a name belongs to the layer it comes from
        if layer.name in _STORED_LAYERS or layer.name.startswith("service:"):
            continue
        names = tuple(sorted(set(layer.values) - claimed))
        claimed.update(layer.values)
        if names:
            found[layer.name] = names
    return found
