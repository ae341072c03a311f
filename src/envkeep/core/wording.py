"""Small pieces of the wording every layer prints."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence


def counted(count: int, noun: str) -> str:
    """``1 error``, ``3 errors``: a count with its noun (whose plural takes an s)."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def spoken_list(items: Sequence[str]) -> str:
    """``A``, ``A and B``, ``A, B and C``: items as a sentence lists them (at least one)."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
