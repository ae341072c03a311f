"""Comment lines of a ``.env.example`` that are not about the variable below them: a section
header (``## Database``, ``#### Redis ####``, ``# --- Required settings ---``, a rule of
``#`` or ``-``) and a commented-out assignment (``# SENTRY_DSN=``), which is about itself.
Words above such a line, and on it, are not the next variable's description."""

from __future__ import annotations

import re

# After the first `#`: another `#` (`## Database`), or a run of three or more of one
# decoration character opening or closing the text (`--- Database ---`, `=====`).
_HEADER_RE = re.compile(r"#|\s*([-=*~_#])\1\1|.*([-=*~_#])\2\2\s*$")
_ASSIGNMENT_RE = re.compile(r"\s*(?:export\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)=")


def is_section_break(body: str) -> bool:
    """Whether a comment line, ``body`` its text after the first ``#``, is a section header or
    a commented-out assignment rather than words about the variable below it."""
    return _HEADER_RE.match(body) is not None or _ASSIGNMENT_RE.match(body) is not None


def reads_as_section_break(line: str) -> bool:
    """Whether ``line``, written as ``# line``, would read as a section break (a renderer
    refuses such a description line: it would not be read back)."""
    return is_section_break(f" {line}")


def commented_out_name(body: str) -> str | None:
    """The name a commented-out assignment (``body`` after the first ``#``) sets, else None."""
    match = _ASSIGNMENT_RE.match(body)
    return None if match is None else match["name"]
