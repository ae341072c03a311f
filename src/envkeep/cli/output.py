"""Rendering for the CLI: tables on stdout, messages on stderr, JSON when asked, values masked.

Rich decides colour: only on a terminal, never with NO_COLOR.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from envkeep.settings import load_settings

MASK = "••••••"

_NO_COLOR = load_settings().no_color  # NO_COLOR means no escape codes at all, bold included
stdout = Console(
    highlight=False, soft_wrap=True, no_color=_NO_COLOR, color_system=None if _NO_COLOR else "auto"
)
stderr = Console(
    stderr=True,
    highlight=False,
    soft_wrap=True,
    no_color=_NO_COLOR,
    color_system=None if _NO_COLOR else "auto",
)


def mask(value: str | None, *, reveal: bool, absent: str = "(deleted)") -> str:
    """The value itself with --reveal, else a fixed mask that tells nothing about its length."""
    if value is None:
        return absent
    return value if reveal else MASK


def print_json(data: Any) -> None:
    """Machine-readable output: one JSON document on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


PLAIN_ROWS = 500  # from this many rows a terminal gets the plain table too: Rich takes seconds


def print_table(columns: Sequence[str], rows: Iterable[Sequence[str]], *, empty: str) -> None:
    """A table on stdout, or a one-line note on stderr when there are no rows."""
    materialised = [list(r) for r in rows]
    if not materialised:
        stderr.print(empty)
        return
    if not stdout.is_terminal or len(materialised) >= PLAIN_ROWS:
        plain = plain_table(columns, materialised)
        if plain is not None:
            sys.stdout.write(plain)
            return
    table = Table(box=None, pad_edge=False, header_style="" if _NO_COLOR else "bold")
    for column in columns:
        table.add_column(Text(column))  # verbatim, as the plain path prints it: no markup
    for row in materialised:
        table.add_row(*(Text(cell) for cell in row))  # verbatim: no markup in values
    if stdout.is_terminal:
        stdout.print(table)
        return
    # Piped or redirected: never crop or wrap a value to a guessed terminal width.
    Console(file=sys.stdout, width=1_000_000, highlight=False, no_color=True).print(table)


def plain_table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str | None:
    """The table Rich prints without a box, at a fraction of the cost: columns padded to their
    widest cell and two spaces apart. None unless every cell is printable text of one terminal
    cell per character (Rich lays out tabs, line breaks, wide and zero-width characters its
    own way)."""
    lines = [list(columns), *rows]
    if not all(_one_cell_each(cell) for line in lines for cell in line):
        return None
    widths = [max(1, *(len(line[i]) for line in lines)) for i in range(len(columns))]
    out = []
    for line in lines:
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=True)]
        out.append("  ".join(cells) + "\n")
    return "".join(out)


def _one_cell_each(cell: str) -> bool:
    if not cell.isprintable():
        return False
    if cell.isascii():
        return True
    from rich.cells import get_character_cell_size

    return all(get_character_cell_size(c) == 1 for c in cell)


def counted(count: int, noun: str) -> str:
    """``1 error``, ``3 errors``: a count with its noun (whose plural takes an s)."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def say(message: str) -> None:
    """A line of text on stdout, printed verbatim."""
    stdout.print(message, markup=False, highlight=False)


def done(message: str) -> None:
    """A confirmation on stderr (stdout stays clean for data)."""
    stderr.print(message, markup=False, highlight=False)


@contextmanager
def progress_bar(total: int, label: str, *, threshold: int = 500) -> Iterator[Callable[[], None]]:
    """A step function that advances a progress bar on stderr: only on a terminal, and only
    for ``threshold`` items or more (elsewhere the step does nothing)."""
    if total < threshold or not stderr.is_terminal:
        yield lambda: None
        return
    from rich.progress import Progress

    with Progress(console=stderr, transient=True) as progress:
        task = progress.add_task(label, total=total)
        yield lambda: progress.advance(task)
