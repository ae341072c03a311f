"""Resolution: the value a service sees in an environment (DESIGN §2).

Layers are applied lowest to highest, so a later layer always wins: template defaults, the
project's shared scope, the service's own scope, personal overrides. References are then
expanded in the final values (`envkeep.core.references`). A `Resolution` keeps, for each name,
every layer that set it and the one that won, for ``envkeep explain``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from envkeep.core.errors import ServiceNotFound
from envkeep.core.references import Expander, Expansion, expand

__all__ = [
    "Layer",
    "Origin",
    "Resolution",
    "merge_layers",
    "resolve",
    "resolve_each",
    "resolve_project",
]


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
    a name with an error keeps its raw value in ``values``. ``winners`` and ``trace`` are
    worked out from ``layers`` on first use: most callers read neither.
    """

    values: dict[str, str]
    raw: dict[str, str]
    layers: tuple[Layer, ...]
    references: Mapping[str, tuple[str, ...]]
    errors: dict[str, str]

    # Written out, not generated: compiled (scripts/build_native.py), it costs a fraction of
    # the dataclass's own, which runs as Python; every service resolved makes one.
    def __init__(
        self,
        values: dict[str, str],
        raw: dict[str, str],
        layers: tuple[Layer, ...],
        references: Mapping[str, tuple[str, ...]],
        errors: dict[str, str],
    ) -> None:
        setter = object.__setattr__  # frozen: as dataclasses' own __init__ sets fields
        setter(self, "values", values)
        setter(self, "raw", raw)
        setter(self, "layers", layers)
        setter(self, "references", references)
        setter(self, "errors", errors)

    @cached_property
    def winners(self) -> dict[str, str]:
        """The layer each final value came from, by name, in the order of ``raw``."""
        winners: dict[str, str] = {}
        for layer in self.layers:
            winners.update(dict.fromkeys(layer.values, layer.name))
        return winners

    @cached_property
    def trace(self) -> dict[str, tuple[Origin, ...]]:
        """Every layer that set each name, lowest first (built on demand, for explain)."""
        origins: dict[str, list[Origin]] = {}
        for layer in self.layers:
            for name, value in layer.values.items():
                origins.setdefault(name, []).append(Origin(layer.name, value))
        return {name: tuple(found) for name, found in origins.items()}

    def set_by(self, layer_names: Collection[str]) -> Collection[str]:
        """The names that the layers called ``layer_names`` set (a service's own layers: the
        names it set itself, whichever of them won)."""
        chosen = [layer.values for layer in self.layers if layer.name in layer_names]
        if len(chosen) == 1:
            return chosen[0]  # a mapping: a collection of its names, copied fastest
        return set().union(*chosen)

    def raise_first(self) -> None:
        """Raise `ReferenceProblem` for the first name with a reference error, if any."""
        Expansion(self.values, self.errors).raise_first()


def merge_layers(layers: Sequence[Mapping[str, str]]) -> dict[str, str]:
    """One mapping from lowest to highest layer; a name takes its value from the last layer."""
    merged: dict[str, str] = {}
    for layer in layers:
        merged.update(layer)
    return merged


def _resolution(raw: dict[str, str], layers: Sequence[Layer], expansion: Expansion) -> Resolution:
    return Resolution(expansion.values, raw, tuple(layers), expansion.references, expansion.errors)


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
    raw = merge_layers([layer.values for layer in layers])
    return _resolution(raw, layers, expand(raw, service=service, lookup=lookup))


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
    return dict(resolve_each(stacks, targets=targets))


def resolve_each(
    stacks: Mapping[str, Sequence[Layer]],
    *,
    targets: Sequence[str] | None = None,
) -> Iterator[tuple[str, Resolution]]:
    """`resolve_project`, one ``(service, resolution)`` at a time, in the order of ``targets``.

    A caller that checks each resolution as it comes (validation) reads values that are still
    in the processor's cache. An unknown target raises before the first is given.
    """
    wanted = list(stacks) if targets is None else list(targets)
    unknown = [name for name in wanted if name not in stacks]
    if unknown:
        known = ", ".join(sorted(stacks)) or "none"
        raise ServiceNotFound(
            f"service '{unknown[0]}' not found (services: {known})",
            hint=f"add it with: envkeep service add {unknown[0]}",
        )
    merged: dict[str, dict[str, str]] = {}

    def sources(name: str | None) -> Mapping[str, str] | None:
        """A service's merged values, merged when first needed: each stack is merged just
        before it is expanded (or read across), while its values are still in the cache."""
        if name is None or name not in stacks:
            return None
        found = merged.get(name)
        if found is None:
            found = merged[name] = merge_layers([layer.values for layer in stacks[name]])
        return found

    return _resolved(wanted, stacks, merged, Expander(sources))


def _resolved(
    wanted: Sequence[str],
    stacks: Mapping[str, Sequence[Layer]],
    merged: dict[str, dict[str, str]],
    expander: Expander,
) -> Iterator[tuple[str, Resolution]]:
    for name in wanted:
        values, errors = expander.expand_values(name)  # merges the stack first
        references = expander.lazy_references(name, values)
        yield name, Resolution(values, merged[name], tuple(stacks[name]), references, errors)
