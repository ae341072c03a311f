"""Rendering for the CLI: tables on stdout, messages on stderr, JSON when asked, values masked.

Rich decides colour: only on a terminal, never with NO_COLOR. Rich is imported only for what
it draws (a table on a terminal, a progress bar): a line of text is written as Rich would
write it, without it, since importing Rich took a tenth of a command's start.
"""

from __future__ import annotations

import functools
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

from envkeep.cli.marks import MASK, fitted, holds, mask_for
from envkeep.core.wording import counted
from envkeep.settings import load_settings

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["MASK", "counted", "done", "plain_table", "print_json", "print_table", "say"]

# Control characters a cell shows escaped (every C0 one but the line break, DEL, C1): a
# terminal would act on them (a carriage return redraws the row, an escape sequence recolours
# or hides text) or Rich would drop them, so the table would not show what is stored.
_ESCAPED = {
    code: repr(chr(code))[1:-1] for code in (*range(0x20), 0x7F, *range(0x80, 0xA0)) if code != 0x0A
}
# What a line of text on a terminal loses or shows escaped: Rich's Text removes bell,
# backspace, vertical tab, form feed and carriage return, so that a message cannot redraw the
# line it is on; every other control character but the line break and tab (an escape
# sequence, which recolours, hides or retitles: a workspace's name is another user's text) is
# written as a cell's is (``\x1b``).
_STRIPPED: dict[int, str | None] = {**_ESCAPED, **dict.fromkeys((7, 8, 11, 12, 13))}
del _STRIPPED[0x09]
_FORCED = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")  # Rich reads these too


@functools.cache
def _no_color() -> bool:
    """NO_COLOR: no escape codes at all, bold included (read when first needed, not at import)."""
    return load_settings().no_color


@functools.cache
def _console(to_stderr: bool) -> Console:
    from rich.console import Console

    return Console(
        stderr=to_stderr,
        highlight=False,
        soft_wrap=True,
        no_color=_no_color(),
        color_system=None if _no_color() else "auto",
    )


def _is_terminal(to_stderr: bool) -> bool:
    """Rich's answer, asked only where it could differ from 'not a terminal'."""
    stream = sys.stderr if to_stderr else sys.stdout
    if not any(os.environ.get(name) for name in _FORCED) and not _isatty(stream):
        return False
    return _console(to_stderr).is_terminal


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # replaced or closed
        return False


def _line(stream: TextIO, message: str, *, marks: bool = False) -> None:
    """``message`` on ``stream``; with ``marks``, its marks as the stream can show them
    (`marks.fitted`: a message of envkeep's, never a value)."""
    text = terminal_text(message)
    stream.write((fitted(stream, text) if marks else text) + "\n")
    stream.flush()


def terminal_text(message: str) -> str:
    """``message`` as a line on a terminal may show it (`_STRIPPED`)."""
    return message if message.isprintable() else message.translate(_STRIPPED)


def mask(value: str | None, *, reveal: bool, absent: str = "(deleted)") -> str:
    """The value itself with --reveal, else a fixed mask that tells nothing about its length."""
    if value is None:
        return absent
    return value if reveal else mask_for(sys.stdout)


def moment(text: str | None) -> str:
    """A time the store or server gave (ISO 8601; naive: UTC) as every table shows one:
    ``2026-12-05T08:10:12Z``; ``-`` for none."""
    if not text:
        return "-"
    from envkeep.core.timestamps import utc_second

    try:
        return utc_second(text)
    except ValueError:
        return text  # not a time: shown as sent


def print_json(data: Any) -> None:
    """Machine-readable output: one JSON document on stdout (`json_text`)."""
    sys.stdout.write(json_text(data) + "\n")


def json_text(data: Any) -> str:
    """``data`` as indented JSON for stdout; where its encoding cannot hold the text, with
    ``\\u`` escapes, which a JSON reader turns back into the same text."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    return text if holds(sys.stdout, text) else json.dumps(data, indent=2)


def utc_times(row: dict[str, Any], *, exact: bool = False) -> dict[str, Any]:
    """A server's record for ``--json`` with each time field (``at``, ``…_at``) written as
    every other command's JSON writes one, ``2026-12-05T08:10:12Z`` (jq's ``fromdate``
    reads it; the server's ``+00:00`` and microseconds it does not); None stays None.
    ``exact``: to the microsecond, ``2026-12-05T08:10:12.345678Z`` (audit events: several
    share a second, and ``--until`` one's time must not pass over the others)."""
    write = _exact_moment if exact else moment
    return {
        key: write(value) if isinstance(value, str) and value and _is_time_key(key) else value
        for key, value in row.items()
    }


def _exact_moment(text: str) -> str:
    from envkeep.core.timestamps import utc_exact

    try:
        return utc_exact(text)
    except ValueError:
        return text  # not a time: written as sent


def _is_time_key(key: str) -> bool:
    return key == "at" or key.endswith("_at")


PLAIN_ROWS = 500  # from this many rows a terminal gets the plain table too: Rich takes seconds


def visible(cell: str) -> str:
    """``cell`` with its control characters written as escapes (``\\r``, ``\\t``, ``\\x1b``)."""
    return cell.translate(_ESCAPED) if not cell.isprintable() else cell


def print_table(columns: Sequence[str], rows: Iterable[Sequence[str]], *, empty: str) -> None:
    """A table on stdout, or a one-line note on stderr when there are no rows. Control
    characters in a cell are shown escaped (`visible`)."""
    materialised = [[visible(cell) for cell in r] for r in rows]
    if not materialised:
        done(empty)
        return
    terminal = _is_terminal(to_stderr=False)
    if not terminal or len(materialised) >= PLAIN_ROWS:
        plain = plain_table(columns, materialised)
        if plain is not None:
            sys.stdout.write(unpadded(plain))
            return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, pad_edge=False, header_style="" if _no_color() else "bold")
    for column in columns:
        table.add_column(Text(column))  # verbatim, as the plain path prints it: no markup
    for row in materialised:
        table.add_row(*(Text(cell) for cell in row))  # verbatim: no markup in values
    # Piped or redirected: never crop or wrap a value to a guessed terminal width.
    console = (
        _console(to_stderr=False)
        if terminal
        else Console(file=sys.stdout, width=1_000_000, highlight=False, no_color=True)
    )
    with console.capture() as drawn:
        console.print(table)
    sys.stdout.write(unpadded(drawn.get()))


# What pads a line's end on a colour terminal: spaces, bare or styled alone (Rich styles a
# header's padding). One space or one styled run per repeat: nothing is matched two ways.
_PADDING = re.compile(r"(?:\x1b\[[0-9;]*m +\x1b\[0m| )+$", re.MULTILINE)
_PADDED_RESET = re.compile(r" +(\x1b\[0m)$", re.MULTILINE)  # spaces inside the last style


def unpadded(text: str) -> str:
    """``text`` without the spaces that pad each line's last cell: a table's lines end with
    their text, so that a copied line, a diff of two outputs or a test reads no padding."""
    if "\x1b" not in text:
        return "\n".join(line.rstrip(" ") for line in text.split("\n"))
    return _PADDED_RESET.sub(r"\1", _PADDING.sub("", text))


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


def say(message: str) -> None:
    """A line of text for a person on stdout (control characters escaped: `terminal_text`)."""
    _line(sys.stdout, message)


def done(message: str) -> None:
    """A confirmation on stderr (stdout stays clean for data), its marks as stderr can show
    them (`marks.fitted`)."""
    _line(sys.stderr, message, marks=True)


@contextmanager
def progress_bar(total: int, label: str, *, threshold: int = 500) -> Iterator[Callable[[], None]]:
    """A step function that advances a progress bar on stderr: only on a terminal, and only
    for ``threshold`` items or more (elsewhere the step does nothing)."""
    if total < threshold or not _is_terminal(to_stderr=True):
        yield lambda: None
        return
    from rich.progress import Progress

    with Progress(console=_console(to_stderr=True), transient=True) as progress:
        task = progress.add_task(label, total=total)
        yield lambda: progress.advance(task)
