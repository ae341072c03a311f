"""The comment after a value on its own line (``PORT=8080 # required``), found in one scan of
a ``.env.example``: `envexample` refuses an annotation there, `plain_required` reads its words."""

from __future__ import annotations

from dataclasses import dataclass

from envkeep.core.dotenv import scan_dotenv

_SPACE = " \t\r\f\v"  # what the dotenv parser strips around a line


@dataclass(frozen=True)
class TrailingComment:
    """The text after ``#`` following ``name``'s value, on line ``line``."""

    name: str
    line: int
    text: str


def trailing_comments(text: str, *, source: str | None) -> tuple[TrailingComment, ...]:
    """Each entry's trailing comment, in line order (an entry with none is left out)."""
    found = []
    for entry in scan_dotenv(text, source=source):
        end = text.find("\n", entry.value_end)
        rest = text[entry.value_end : len(text) if end < 0 else end].lstrip(_SPACE)
        if rest.startswith("#"):
            line = text.count("\n", 0, entry.value_end) + 1
            found.append(TrailingComment(entry.name, line, rest[1:]))
    return tuple(found)
