"""A short "required" label over a stack of variables (``# Required`` or ``# Required
settings:`` right above ``DATABASE_URL=``, with ``SECRET_KEY=`` on the next line): the comment
is the first variable's description (a plain comment cannot be told from one), but a reader
takes it as the label of the whole stack, and only the first was noted. Each variable of the
stack (the declarations that follow with no blank line, no empty ``#`` line and no comment of
words between: a comment of annotations only, such as the ``# @required`` a note advises, does
not end it; an empty ``#`` is a spacer, read as a blank line) not
``@required`` is noted too, with its line and the label's. A label is the whole description
and a few words ("Required", "Required env vars:"); a sentence ("Required. Where the orders
live.") stays about its own variable, whose note `plain_required` gives."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from envkeep.core._annotation_tokens import annotations_only
from envkeep.core.plain_required import said_line, says_required
from envkeep.core.required_note import required_note

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping, Sequence

    from envkeep.core.fieldspec import FieldSpec, SchemaNote

_LABEL = re.compile(r"required(?:\s+[\w-]+){0,2}\s*[:.]?", re.IGNORECASE)


def required_label_notes(
    lines: Sequence[str],
    comments: Mapping[int, str],
    declarations: Sequence[FieldSpec],
    fields: Sequence[FieldSpec],
    *,
    source: str | None,
    annotated_at: Mapping[str, int],
    noted: Collection[str] = (),
) -> tuple[SchemaNote, ...]:
    """A note for each field not ``@required`` (nor in ``noted``) declared in the stack under
    a "required" label, at its first such declaration; ``lines`` are the file's lines,
    ``comments`` map comment lines to their text after ``#``, ``declarations`` are each line
    a name is declared on, in order, and ``fields`` say which are ``@required``."""
    told = {spec.name for spec in fields if spec.required} | set(noted)
    notes: list[SchemaNote] = []
    for index, spec in enumerate(declarations):
        label = _label_line(spec, comments)
        if label is None:
            continue
        for below in _stack(lines, comments, declarations, index):
            if below.line is None or below.name in told:
                continue
            told.add(below.name)
            notes.append(
                required_note(
                    below.name,
                    below.line,
                    label,
                    source=source,
                    annotated_at=annotated_at.get(below.name),
                )
            )
    return tuple(notes)


def _label_line(spec: FieldSpec, comments: Mapping[int, str]) -> int | None:
    """The line of the "required" label ``spec``'s description is, else None."""
    text = spec.description or ""
    if spec.line is None or _LABEL.fullmatch(text) is None or not says_required(text):
        return None
    return said_line(comments, spec.line)


def _stack(
    lines: Sequence[str],
    comments: Mapping[int, str],
    declarations: Sequence[FieldSpec],
    index: int,
) -> list[FieldSpec]:
    """The declarations stacked right below ``declarations[index]``: each on the line after
    the one before ends (a value may span lines), or after comments of annotations only."""
    stack: list[FieldSpec] = []
    previous = declarations[index].line
    for spec in declarations[index + 1 :]:
        if spec.line is None or previous is None:
            break
        above = spec.line - 1
        while above in comments and annotations_only(comments[above]):
            above -= 1
        if above < previous or above in comments or not lines[above - 1].strip():
            break
        stack.append(spec)
        previous = spec.line
    return stack
