"""The warning that other dotenv readers would read some values of a dotenv file envkeep
writes (`export`, `activate-all`) otherwise than stored, naming the variables, never values."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.cli import output
from envkeep.core.dotenv_readers import misread_warnings

if TYPE_CHECKING:
    from collections.abc import Iterable

WHERE = "docs/quickstart.md §4 says which reader reads what"


def warn_misread(entries: Iterable[tuple[str, str]], *, instead: str) -> None:
    """Say so on stderr when a reader would misread one of ``entries``; ``instead``: what
    gives such a value as it is."""
    warnings = misread_warnings(entries)
    for warning in warnings:
        output.done(f"warning: {warning}")
    if warnings:
        output.done(f"hint: {WHERE}; {instead}")
