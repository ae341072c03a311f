"""Resolution: the value a service sees in an environment (DESIGN §2).

Layers are applied lowest to highest, so a later layer always wins: template defaults, the
project's shared scope, the service's own scope, personal overrides. References are then
expanded in the final values (`envkeep.core.references`). A `Resolution` keeps, for each name,
every layer that set it and the one that won, for ``envkeep explain``.
"""

from __future__ import annotations

import itertools
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


def _apply(layers: Sequence[Layer]) -> _Stack:
    """Merge ``layers`` lowest first, remembering which layer each final value came from."""
    return _LayerParts().apply(layers)


class _LayerParts:
    """What each layer of one `resolve_project` call contributes, worked out once however many
    stacks hold it (every service's stack holds the same shared scope): which layer each of its
    names comes from, and which of its values hold a ``$``. Kept for one call only, by the
    identity of the layer's values, which the call's stacks keep alive."""

    __slots__ = ("_dollars", "_winners")

    def __init__(self) -> None:
        self._winners: dict[tuple[str, int], dict[str, str]] = {}
        self._dollars: dict[int, list[str]] = {}

    def apply(self, layers: Sequence[Layer]) -> _Stack:
        raw: dict[str, str] = {}
        winners: dict[str, str] = {}
        for layer in layers:
            raw.update(layer.values)
            winners.update(self._winners_of(layer))
        return _Stack(raw, winners, tuple(layers))

    def dollars(self, layers: Sequence[Layer]) -> list[str]:
        """Every name that a value with a ``$`` in one of ``layers`` sets, each once."""
        if len(layers) == 1:
            return self._dollars_of(layers[0].values)
        found = map(self._dollars_of, [layer.values for layer in layers])
        return list(dict.fromkeys(itertools.chain.from_iterable(found)))

    def _winners_of(self, layer: Layer) -> dict[str, str]:
        key = (layer.name, id(layer.values))
        if key not in self._winners:
            self._winners[key] = dict.fromkeys(layer.values, layer.name)
        return self._winners[key]

    def _dollars_of(self, values: Mapping[str, str]) -> list[str]:
        key = id(values)
        if key not in self._dollars:
            self._dollars[key] = [name for name, raw in values.items() if "$" in raw]
        return self._dollars[key]


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
    stack = _apply(layers)
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
    parts = _LayerParts()
    applied = {name: parts.apply(stacks[name]) for name in wanted}
    merged: dict[str, Mapping[str, str]] = {
        name: applied[name].raw if name in applied else merge_layers([x.values for x in layers])
        for name, layers in stacks.items()
    }
    expander = Expander(
        lambda name: None if name is None else merged.get(name),
        candidates=lambda name: parts.dollars(stacks[name]) if name is not None else (),
    )
    return {name: _resolution(applied[name], expander.expand(name)) for name in wanted}
