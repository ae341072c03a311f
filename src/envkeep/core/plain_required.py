"""A ``.env.example`` whose comment says "required" in plain words, as many do
(``PORT=8080 # required``, or ``# Required.`` above it), declares nothing: only ``@required``
does, so the variable is optional and `validate` passes without it. The notes found here say
so, naming the file, the line and the variable, and what to write instead. They are notes, not
errors: the file may mean it as prose ("required when X is set")."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from envkeep.core.fieldspec import SchemaNote

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from envkeep.core._trailing_comments import TrailingComment
    from envkeep.core.fieldspec import FieldSpec

# The word alone: not ``@required`` (an annotation), nor "not required" / "optional".
_WORD = re.compile(r"(?<![@\w-])required\b", re.IGNORECASE)
_DENIED = re.compile(r"\b(?:not|optional(?:ly)?)\b", re.IGNORECASE)
# "required in prod only", "required when TLS is on": a condition `@required` cannot say, so
# writing it, as the note would advise, makes the variable required where it is not.
_CONDITION = re.compile(
    r"\b(?:only|when|whenever|if|unless|in|for|during|behind|with)\b", re.IGNORECASE
)


def plain_required_notes(
    trailing: Sequence[TrailingComment],
    declarations: Sequence[FieldSpec],
    fields: Sequence[FieldSpec],
    *,
    source: str | None,
    annotated_at: Mapping[str, int],
) -> tuple[SchemaNote, ...]:
    """A note for each field not ``@required`` (``fields`` say which are) whose description
    above one of its ``declarations`` (each line a name is declared on), or comment after its
    value on its line (``trailing``), says "required", naming that line; in line order.
    ``annotated_at``: the line a name declared twice takes its annotations from."""
    optional = {f.name for f in fields if not f.required}
    found: dict[str, int] = {}
    for comment in trailing:
        if comment.name in optional and says_required(comment.text):
            found.setdefault(comment.name, comment.line)
    for spec in declarations:
        if (
            spec.name in optional
            and spec.line is not None
            and says_required(spec.description or "")
        ):
            found.setdefault(spec.name, spec.line)
    where = f"{source} " if source else ""
    return tuple(
        SchemaNote(
            "plain-required",
            name,
            line,
            f"{where}line {line}: {name}'s comment says 'required', which declares nothing"
            f" ({name} is optional): {write_required(name, line, annotated_at.get(name))}",
            source,
        )
        for name, line in sorted(found.items(), key=lambda item: item[1])
    )


def write_required(name: str, noted: int, annotated_at: int | None) -> str:
    """What to write for ``name``, noted on line ``noted``: ``# @required`` above it, or above
    the declaration on line ``annotated_at`` when ``name`` is declared twice and that other
    one carries its annotations: ``@required`` above the noted line would make the two lines'
    annotations differ, which `repeated_names` refuses."""
    at = "" if annotated_at in {None, noted} else f" on line {annotated_at}"
    return f"write '# @required' on a line of its own above {name}=…{at}"


def says_required(comment: str) -> bool:
    """Whether ``comment`` says "required" of what it is about, unconditionally (not "not
    required", "optional", nor "required for prod only")."""
    word = _WORD.search(comment)
    if word is None or _DENIED.search(comment) is not None:
        return False
    return _CONDITION.search(comment, word.end()) is None
