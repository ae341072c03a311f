"""Resolution: the value a service sees in an environment (DESIGN §2).

Layers are applied lowest to highest, so a later layer always wins: the project's shared
scope, then the service's own scope. (Templates, personal overrides and references extend this
in the configuration-manager issue.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


def merge_layers(layers: Sequence[Mapping[str, str]]) -> dict[str, str]:
    """One mapping from lowest to highest layer; a name takes its value from the last layer."""
    merged: dict[str, str] = {}
    for layer in layers:
        merged.update(layer)
    return merged
