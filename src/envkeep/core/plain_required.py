"""A ``.env.example`` whose comment says "required" in plain words, as many do
(``PORT=8080 # required``, or ``# Required.`` above it), declares nothing: only ``@required``
does, so the variable is optional and `validate` passes without it. The notes found here say
so, naming the file, the line and the variable, and what to write instead. They are notes, not
errors: the file may mean it as prose ("required when X is set")."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from envkeep.core._annotation_tokens import TOKEN_RE
from envkeep.core.required_note import required_note

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from envkeep.core._trailing_comments import TrailingComment
    from envkeep.core.fieldspec import FieldSpec, SchemaNote

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
    comments: Mapping[int, str],
    declarations: Sequence[FieldSpec],
    fields: Sequence[FieldSpec],
    *,
    source: str | None,
    annotated_at: Mapping[str, int],
) -> tuple[SchemaNote, ...]:
    """A note for each field not ``@required`` (``fields`` say which are) whose description
    above one of its ``declarations`` (each line a name is declared on), or comment after its
    value on its line (``trailing``), says "required", naming that line and the comment's
    (``comments`` map comment lines to their text after ``#``); in line order.
    ``annotated_at``: the line a name declared twice takes its annotations from."""
    optional = {f.name for f in fields if not f.required}
    found: dict[str, tuple[int, int]] = {}  # name -> its line, the line saying "required"
    for comment in trailing:
        if comment.name in optional and says_required(comment.text):
            found.setdefault(comment.name, (comment.line, comment.line))
    for spec in declarations:
        if (
            spec.name in optional
            and spec.line is not None
            and says_required(spec.description or "")
        ):
            said = said_line(comments, spec.line)
            found.setdefault(spec.name, (spec.line, spec.line if said is None else said))
    return tuple(
        required_note(name, line, said, source=source, annotated_at=annotated_at.get(name))
        for name, (line, said) in sorted(found.items(), key=lambda item: item[1])
    )


def said_line(comments: Mapping[int, str], line: int) -> int | None:
    """The comment line nearest above ``line`` (in the comments right above it) whose words
    hold "required", else None: an annotation's value (``@default="not required"``) is not
    what the comment says."""
    number = line - 1
    while number in comments:
        if mentions_required(_words(comments[number])):
            return number
        number -= 1
    return None


def _words(body: str) -> str:
    """Comment text ``body`` without its annotations, as the description reads it."""
    return " ".join(token["word"] for token in TOKEN_RE.finditer(body) if token["word"])


def mentions_required(text: str) -> bool:
    """Whether ``text`` holds the word "required" (not ``@required``), said or denied."""
    return _WORD.search(text) is not None


def says_required(comment: str) -> bool:
    """Whether ``comment`` says "required" of what it is about, unconditionally (not "not
    required", "optional", nor "required for prod only")."""
    word = _WORD.search(comment)
    if word is None or _DENIED.search(comment) is not None:
        return False
    return _CONDITION.search(comment, word.end()) is None
