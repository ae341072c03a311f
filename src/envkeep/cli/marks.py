"""envkeep's own marks (the mask ``••••••``, ``…``, ``→``, ``—``) as a stream can show them.

Under a locale whose encoding cannot hold them (``LC_ALL=C`` with Python's UTF-8 mode off, a
Latin-1 locale, ``PYTHONIOENCODING=latin-1``) `list` could not print at all: its mask is not
ASCII. A mark is envkeep's own text, so it has an ASCII stand-in there; a value, or a name, the
encoding cannot hold is never changed: writing it stays the error `errors._report_locale`
names. Kept free of Rich, as `errors` is.
"""

from __future__ import annotations

import codecs
from typing import TextIO

MASK = "••••••"
ASCII_MASK = "******"

# A mark and its stand-in: the characters envkeep writes in its own messages and hints.
STAND_INS = {
    "•": "*",
    "…": "...",
    "→": "->",
    "←": "<-",
    "—": "--",
    "\u2013": "-",  # an en dash
    "§": "section ",
    "µ": "u",
    "‖": "||",
    "✓": "ok",
    "✗": "x",
}


def holds(stream: TextIO, text: str) -> bool:
    """Whether ``stream``'s encoding can write ``text`` (a replaced or closed stream: UTF-8)."""
    if text.isascii():
        return True
    try:
        text.encode(_encoding(stream))
    except UnicodeEncodeError:
        return False
    return True


def fitted(stream: TextIO, message: str) -> str:
    """``message``, one of envkeep's, with each mark ``stream`` cannot hold written as its
    stand-in; any other character is left as it is (writing it fails as it did)."""
    if holds(stream, message):
        return message
    return "".join(STAND_INS[c] if c in STAND_INS and not holds(stream, c) else c for c in message)


def mask_for(stream: TextIO) -> str:
    """The mask a value is shown as on ``stream``: ``••••••``, or ``******`` where it cannot
    be written (no value's length or text is told either way)."""
    return MASK if holds(stream, MASK) else ASCII_MASK


def _encoding(stream: TextIO) -> str:
    name = getattr(stream, "encoding", None) or "utf-8"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "utf-8"
