"""`envkeep explain`: where a name's value came from in one service of one environment, layer
by layer (`resolution.resolve_in`'s trace), which layer won, and the references it expanded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.client.resolution import resolve_in

if TYPE_CHECKING:
    from envkeep.client.context import ClientContext


@dataclass(frozen=True)
class Explanation:
    """Where a name's value came from in one service of one environment."""

    name: str
    service: str | None
    trace: tuple[tuple[str, str], ...]  # (layer, raw value), lowest first
    winner: str
    references: tuple[str, ...]
    value: str
    error: str | None


def explain_name(ctx: ClientContext, env: str, service: str | None, name: str) -> Explanation:
    """Every layer that sets ``name``, which one won, and the references it expanded."""
    from envkeep.client.reference_errors import worded
    from envkeep.client.service_scopes import read_service_layers
    from envkeep.client.variable_not_found import variable_not_found

    layers = read_service_layers(ctx, env, [service])
    resolution = resolve_in(layers, service)
    if name not in resolution.values:
        raise variable_not_found(
            ctx,
            name,
            env,
            service,
            seen=resolution,
            command="explain",
            present=resolution.values.__contains__,
        )
    return Explanation(
        name=name,
        service=service,
        trace=tuple((o.layer, o.value) for o in resolution.trace[name]),
        winner=resolution.winners[name],
        references=resolution.references.get(name, ()),
        value=resolution.values[name],
        error=worded(layers, resolution, name) if name in resolution.errors else None,
    )
