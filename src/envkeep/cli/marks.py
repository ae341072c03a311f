"""envkeep's own marks (the mask ``••••••``, ``…``, ``→``, ``—``) as a stream can show them.

Under a locale whose encoding cannot hold them (``LC_ALL=C`` with Python's UTF-8 mode off, a
Latin-1 locale, ``PYTHONIOENCODING=latin-1``) `list` could not print at all: its mask is not
ASCII. The mask is never anyone's text, so it has an ASCII stand-in there. A message is one
string of envkeep's marks and the user's own text (a name, a path, a command to run), which
cannot be told apart, so a character of one the stream cannot hold is written escaped
(``\u2014``), as Python writes it on stderr: a stand-in would have shown, and told the user to
run, another name (``DB—URL`` as ``DB--URL``, a valid name of its own). A value the encoding
cannot hold is never changed: writing it stays the error `errors._report_locale` names. Kept
free of Rich, as `errors` is.
"""

from __future__ import annotations

import codecs
from typing import TextIO

MASK = "••••••"
ASCII_MASK = "******"


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
    """``message``, one of envkeep's, with each character ``stream`` cannot hold written
    escaped (``\u2026``): never a stand-in, which could make the user's own text in it
    (a name, a command to run) read as another."""
    if holds(stream, message):
        return message
    encoding = _encoding(stream)
    return message.encode(encoding, "backslashreplace").decode(encoding)


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
