"""Saying whom a new environment's key did not reach (`env create`, `env clone`, `init`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.cli import output

if TYPE_CHECKING:
    from collections.abc import Sequence

    from envkeep.client.new_keys import Unsealed


def warn_unsealed(names: Sequence[str], unsealed: Sequence[Unsealed]) -> None:
    """Name each one whose role opens the new environments ``names`` but who did not get
    their keys, once, with the commands that fix it."""
    shown = ", ".join(f"'{name}'" for name in names)
    keys = "key of" if len(names) == 1 else "keys of"
    verb = "was" if len(names) == 1 else "were"
    for left in unsealed:
        for line in left.lines(f"the {keys} {shown}", verb):
            output.done(line)
