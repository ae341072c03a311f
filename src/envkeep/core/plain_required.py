"""A ``.env.example`` whose comment says "required" in plain words, as many do
(``PORT=8080 # required``, or ``# Required.`` above it), declares nothing: only ``@required``
does, so the variable is optional and `validate` passes without it. The notes found here say
so, naming the file, the line and the variable, and what to write instead. They are notes, not
errors: the file may mean it as prose ("required when X is set")."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from envkeep.core.dotenv import scan_dotenv

if TYPE_CHECKING:
    from collections.abc import Sequence

    from envkeep.core.fieldspec import FieldSpec

# The word alone: not ``@required`` (an annotation), nor "not required" / "optional".
_WORD = re.compile(r"(?<![@\w-])required\b", re.IGNORECASE)
_DENIED = re.compile(r"\b(?:not|optional(?:ly)?)\b", re.IGNORECASE)
_SPACE = " \t\r\f\v"


def plain_required_notes(
    text: str, fields: Sequence[FieldSpec], *, source: str | None
) -> tuple[str, ...]:
    """A note for each field not ``@required`` whose description, or comment after its value
    on its line, says "required"; in line order."""
    optional = {f.name: f for f in fields if not f.required}
    found: dict[str, int] = {}
    for entry in scan_dotenv(text, source=source):
        if entry.name in optional and _says_required(_trailing_comment(text, entry.value_end)):
            found.setdefault(entry.name, text.count("\n", 0, entry.value_end) + 1)
    for field in optional.values():
        if field.line is not None and _says_required(field.description or ""):
            found.setdefault(field.name, field.line)
    where = f"{source} " if source else ""
    return tuple(
        f"{where}line {line}: {name}'s comment says 'required', which declares nothing"
        f" ({name} is optional): write '# @required' on a line of its own above {name}=…"
        for name, line in sorted(found.items(), key=lambda item: item[1])
    )


def _trailing_comment(text: str, value_end: int) -> str:
    end = text.find("\n", value_end)
    rest = text[value_end : len(text) if end < 0 else end].lstrip(_SPACE)
    return rest[1:] if rest.startswith("#") else ""


def _says_required(comment: str) -> bool:
    return _WORD.search(comment) is not None and _DENIED.search(comment) is None
