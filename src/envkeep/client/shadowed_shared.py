"""Which services a change to the shared scope does not reach: those whose own scope sets the
name, a layer above the shared one in what they see (`ProjectLayers.above_shared`, the order
`explain` shows). Said after a shared write (set, unset, rollback, import, edit, promote) so a
team changing a value "for every service" learns which services keep their own.

Only what the store holds counts: the layers are the team's (`team_layers`), so a personal
override in this machine's .envkeep/local.env is never named (it reaches no other machine, and
the note is about the services). Read from the write's own read of every scope: no extra call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.client.resolution import team_layers

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from envkeep.client.context import ClientContext
    from envkeep.client.vault import OpenEnvironment

SHOWN = 5  # services a note names before "and N more"; and notes before a count of the rest


@dataclass(frozen=True)
class Shadowed:
    """A shared name some services do not see, as their own layers set it (sorted)."""

    name: str
    services: tuple[str, ...]


def shadowed_names(
    ctx: ClientContext,
    opened: OpenEnvironment,
    names: Iterable[str],
    *,
    batch: Mapping[str | None, Mapping[str, str | None]] | None = None,
) -> tuple[Shadowed, ...]:
    """The ``names`` (written to the shared scope of ``opened``, read with every scope) that a
    service's own layer overrides, in the order given; ``batch``: the service scopes the same
    write changes, by service, as they are after it. None when the layers cannot be made (a
    broken template: the commands using it say so), or no name was written."""
    wanted = list(names)
    layers = team_layers(ctx, opened) if wanted else None
    if layers is None:
        return ()
    for service, changes in (batch or {}).items():
        if service is not None:
            layers = layers.with_changes(service, changes)
    above = {s: [layer.values for layer in layers.above_shared(s)] for s in layers.by_service}
    found = []
    for name in wanted:
        services = tuple(sorted(s for s, own in above.items() if any(name in v for v in own)))
        if services:
            found.append(Shadowed(name, services))
    return tuple(found)


def shadow_notes(env: str, shadowed: Sequence[Shadowed], *, removed: bool = False) -> list[str]:
    """One note per shadowed name (the first ``SHOWN``, then a count of the rest); ``removed``:
    the shared value was unset, and those services keep their own."""
    notes = [_note(env, s, removed=removed) for s in shadowed[:SHOWN]]
    left = len(shadowed) - SHOWN
    if left > 0:
        names = "name is" if left == 1 else "names are"
        notes.append(
            f"note: {left} more {names} overridden in services too; see each with:"
            f" envkeep explain NAME --env {env} --service SERVICE"
        )
    return notes


def _note(env: str, shadowed: Shadowed, *, removed: bool) -> str:
    services = shadowed.services
    named = ", ".join(services[:SHOWN])
    if len(services) > SHOWN:
        named += f" and {len(services) - SHOWN} more"
    theirs = "they keep their own values" if removed else "their own values win"
    return (
        f"note: {shadowed.name} is overridden in {named} ({theirs}); see:"
        f" envkeep explain {shadowed.name} --env {env} --service {services[0]}"
    )
