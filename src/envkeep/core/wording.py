"""Small pieces of the wording every layer prints."""

from __future__ import annotations


def counted(count: int, noun: str) -> str:
    """``1 error``, ``3 errors``: a count with its noun (whose plural takes an s)."""
    return f"{count} {noun}{'' if count == 1 else 's'}"
