"""How much of a long plan `promote` and `rollback --to-time` show before they ask or write.

A plan names each variable it changes, on a line of its own: promoting 3,600 values printed
3,602 lines, and a CI log held little else. A plan of more than `LONGEST` lines now shows its
first `SHOWN`, then a line saying how many are left out, how many of each kind there are in
all, and that the same command with --dry-run lists every one and writes nothing: whoever is
asked sees the whole plan's size and shape, and can see all of it before answering.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, TypeVar

from envkeep.cli import output

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

LONGEST = 50  # a plan of up to this many lines is shown whole
SHOWN = 40  # of a longer one, its first this many

Item = TypeVar("Item")


def shown(plan: Sequence[Item], *, whole: bool) -> Sequence[Item]:
    """The part of ``plan`` to show (all of it with ``whole``: --dry-run)."""
    return plan if whole or len(plan) <= LONGEST else plan[:SHOWN]


def say_left_out(plan_size: int, shown_size: int, kinds: Iterable[str]) -> None:
    """After a cut plan, on stderr: how many lines were left out, how many of each kind
    (``kinds``, one per line of the plan, as its marks read), and how to see them all."""
    if shown_size >= plan_size:
        return
    counts = ", ".join(f"{n:,} {kind}" for kind, n in Counter(kinds).items())
    output.done(
        f"… and {plan_size - shown_size:,} more ({plan_size:,} in all: {counts}); the same"
        " command with --dry-run lists every one and writes nothing"
    )
