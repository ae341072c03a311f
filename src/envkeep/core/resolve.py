"""Resolution: the value a service sees in an environment (DESIGN §2).

Layers are applied lowest to highest, so a later layer always wins: template defaults, the
project's shared scope, the service's own scope, personal overrides. References are then
expanded in the final values (`envkeep.core.references`). A `Resolution` keeps, for each name,
every layer that set it and the one that won, for ``envkeep explain``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from envkeep.core.errors import ServiceNotFound
from envkeep.core.references import Expander, Expansion, expand

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

__all__ = ["Layer", "Origin", "Resolution", "merge_layers", "resolve", "resolve_project"]


@dataclass(frozen=True, slots=True)
class Layer:
    """One source of values, named for ``explain``: ``template:postgres``, ``shared``,
    ``service:api``, ``local``."""

    name: str
    values: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Origin:
    """A layer that set a name, and the raw value it set there."""

    layer: str
    value: str


@dataclass(frozen=True)
class Resolution:
    """What a service sees: final expanded ``values``, and how each one came to be.

    ``raw`` is the final value before expansion, ``winners`` the layer it came from, ``trace``
    every layer that set it (lowest first). ``references`` and ``errors`` come from expansion;
    a name with an error keeps its raw value in ``values``.
    """

    values: dict[str, str]
    raw: dict[str, str]
    winners: dict[str, str]
    layers: tuple[Layer, ...]
    references: Mapping[str, tuple[str, ...]]
    errors: dict[str, str]

    @cached_property
    def trace(self) -> dict[str, tuple[Origin, ...]]:
        """Every layer that set each name, lowest first (built on demand, for explain)."""
        origins: dict[str, list[Origin]] = {}
        for layer in self.layers:
            for name, value in layer.values.items():
                origins.setdefault(name, []).append(Origin(layer.name, value))
        return {name: tuple(found) for name, found in origins.items()}

    def raise_first(self) -> None:
        """Raise `ReferenceProblem` for the first name with a reference error, if any."""
        Expansion(self.values, self.errors).raise_first()


@dataclass(frozen=True, slots=True)
class _Stack:
    raw: dict[str, str]
    winners: dict[str, str]
    layers: tuple[Layer, ...]


def merge_layers(layers: Sequence[Mapping[str, str]]) -> dict[str, str]:
    """One mapping from lowest to highest layer; a name takes its value from the last layer."""
    merged: dict[str, str] = {}
    for layer in layers:
        merged.update(layer)
    return merged


def _apply(layers: Sequence[Layer], claims: dict[tuple[str, int], dict[str, str]]) -> _Stack:
    """Merge ``layers`` lowest first, remembering which layer each final value came from.

    Every name is first claimed by the top layer, then the lower layers' names by the highest
    lower layer that sets them, then the names the top layer sets too go back to it. ``claims``
    keeps each lower layer's names mapped to its name, by the layer's name and values: a layer
    that many stacks share (the shared scope) is mapped once per call.
    """
    if not layers:
        return _Stack({}, {}, ())
    *lower_layers, top = layers
    raw = dict(lower_layers[0].values) if lower_layers else {}
    for layer in layers[1:] if lower_layers else layers:
        raw.update(layer.values)
    winners = dict.fromkeys(raw, top.name)
    if lower_layers:
        lower = _claims(lower_layers[0], claims)
        if len(lower_layers) > 1:
            lower = lower.copy()
            for layer in lower_layers[1:]:
                lower.update(_claims(layer, claims))
        winners.update(lower)
        overlap = top.values.keys() & lower.keys()
        if overlap:
            winners.update(dict.fromkeys(overlap, top.name))
    return _Stack(raw, winners, tuple(layers))


def _claims(layer: Layer, claims: dict[tuple[str, int], dict[str, str]]) -> dict[str, str]:
    key = (layer.name, id(layer.values))
    found = claims.get(key)
    if found is None:
        found = claims[key] = dict.fromkeys(layer.values, layer.name)
    return found


def _resolution(stack: _Stack, expansion: Expansion) -> Resolution:
    return Resolution(
        values=expansion.values,
        raw=stack.raw,
        winners=stack.winners,
        layers=stack.layers,
        references=expansion.references,
        errors=expansion.errors,
    )


def resolve(
    layers: Sequence[Layer],
    *,
    service: str | None = None,
    lookup: Callable[[str], Mapping[str, str] | None] | None = None,
) -> Resolution:
    """Resolve one stack of layers (lowest first) and expand its references.

    ``service`` names the stack's service, so ``${service.NAME}`` of its own name reads it;
    ``lookup(svc)`` gives another service's merged, unexpanded values (None: no such service).
    Reference problems are in `Resolution.errors`; `Resolution.raise_first` raises them.
    """
    stack = _apply(layers, {})
    return _resolution(stack, expand(stack.raw, service=service, lookup=lookup))


def resolve_project(
    stacks: Mapping[str, Sequence[Layer]],
    *,
    targets: Sequence[str] | None = None,
) -> dict[str, Resolution]:
    """Resolve ``targets`` (default: every service) of one environment, keyed by service.

    ``stacks`` maps each service to its layers, lowest first; ``${svc.NAME}`` reads the other
    service's merged values. Each stack is merged once and each value expanded once, however
    many targets reference it.
    """
    wanted = list(stacks) if targets is None else list(targets)
    unknown = [name for name in wanted if name not in stacks]
    if unknown:
        known = ", ".join(sorted(stacks)) or "none"
        raise ServiceNotFound(
            f"service '{unknown[0]}' not found (services: {known})",
            hint=f"add it with: envkeep service add {unknown[0]}",
        )
    wanted_set = set(wanted)
    claims: dict[tuple[str, int], dict[str, str]] = {}  # the layers stay alive: ids are stable
    applied: dict[str, _Stack] = {}
    merged: dict[str, Mapping[str, str]] = {}

    def sources(name: str | None) -> Mapping[str, str] | None:
        """A service's merged values, merged when first needed: each stack is merged just
        before it is expanded (or read across), while its values are still in the cache."""
        if name is None or name not in stacks:
            return None
        if name not in merged:
            if name in wanted_set:
                applied[name] = _apply(stacks[name], claims)
                merged[name] = applied[name].raw
            else:
                merged[name] = merge_layers([layer.values for layer in stacks[name]])
        return merged[name]

    expander = Expander(sources)
    resolutions: dict[str, Resolution] = {}
    for name in wanted:
        expansion = expander.expand(name)  # merges the stack first
        resolutions[name] = _resolution(applied[name], expansion)
    return resolutions
