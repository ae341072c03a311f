"""Output that is written as it comes, a page at a time, never held whole: `audit --limit 0`
of a trail of 203,000 events built its table (470 MB) and its JSON (250 MB for 27 MB of text)
in memory before printing a line.

A table of one page is `output.print_table`'s, as before (Rich on a terminal). Longer, it is
the plain table, its columns as wide as the first page's widest cell, widening (never
narrowing) where a later page's cell is wider: a column stays put for a page at least, and a
long trail's first line is on screen at once. JSON is the same text `output.print_json` writes
of the whole list, one item at a time.
"""

from __future__ import annotations

import sys
from itertools import islice
from typing import TYPE_CHECKING, Any

from envkeep.cli import output

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence


def print_table_pages(
    columns: Sequence[str], pages: Iterable[Sequence[Sequence[str]]], *, empty: Callable[[], str]
) -> None:
    """Each page of rows as it comes (the first page alone: `output.print_table`); the note
    ``empty()`` on stderr when there are none (asked for only then: it may take a request)."""
    stream = iter(pages)
    head = list(islice(stream, 2))  # a page alone is print_table's
    if len(head) < 2:
        _print_one_page(columns, head[0] if head else [], empty)
        return
    widths = [1] * len(columns)
    lines: list[list[str]] = [list(columns)]  # the header, with the first page
    for page in _drained(head, stream):  # no page held once written
        lines += ([_cell(c) for c in row] for row in page)
        widths = [max([w, *(_width(line[i]) for line in lines)]) for i, w in enumerate(widths)]
        sys.stdout.write("".join(_line(line, widths) for line in lines))
        lines = []


def _print_one_page(
    columns: Sequence[str], rows: Sequence[Sequence[str]], empty: Callable[[], str]
) -> None:
    if rows:
        output.print_table(columns, rows, empty="")
    else:
        output.done(empty())


def print_json_items(items: Iterable[Any]) -> None:
    """The JSON list of ``items`` on stdout, written an item at a time: the text
    `output.print_json` writes of the whole list (its ``\\u`` escapes, item by item, where
    stdout's encoding cannot hold one's text)."""
    started = False
    for item in items:
        sys.stdout.write(",\n" if started else "[\n")
        sys.stdout.write(_indented(output.json_text(item)))
        started = True
    sys.stdout.write("\n]\n" if started else "[]\n")


def _indented(text: str) -> str:
    return "  " + text.replace("\n", "\n  ")


def _drained(head: list[Any], rest: Iterator[Any]) -> Iterator[Any]:
    """``head``'s items, each let go of as it is taken, then ``rest``'s."""
    while head:
        yield head.pop(0)
    yield from rest


def _cell(cell: str) -> str:
    """A cell on one line: control characters escaped (`output.visible`), a line break too."""
    return output.visible(cell).replace("\n", "\\n")


def _width(cell: str) -> int:
    """How many terminal cells ``cell`` takes (a wide character two)."""
    if cell.isascii():
        return len(cell)
    from rich.cells import cell_len

    return cell_len(cell)


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    padded = (
        cell + " " * (width - _width(cell)) for cell, width in zip(cells, widths, strict=True)
    )
    return "  ".join(padded).rstrip(" ") + "\n"  # no padding after the last cell
