"""A section header of a ``.env.example`` that says "required" (``# --- Required ---``,
``## Required settings``, a ``# Required`` framed by rules of ``#``) declares nothing: only
``@required`` does, so every variable under it is optional and `validate` passes without them.
The notes found here say so for each such variable, as `plain_required` does for a comment
about one variable. A header is about its whole section: the variables below it up to the
next header. Notes, not a conversion: a silent ``@required`` would turn values a project
leaves unset today into errors that stop its `run` and its CI."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from envkeep.core._section_breaks import commented_out_name, is_section_break
from envkeep.core.fieldspec import SchemaNote
from envkeep.core.plain_required import says_required

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping, Sequence

    from envkeep.core.fieldspec import FieldSpec

_FRAMED = 2  # comment lines between two header lines that are the title they frame
_DECORATION = re.compile(r"([-=*~_#])\1+")  # `---Required---`: the word, not `-required`


def required_header_notes(
    comments: Mapping[int, str],
    fields: Sequence[FieldSpec],
    *,
    source: str | None,
    noted: Collection[str] = (),
) -> tuple[SchemaNote, ...]:
    """A note for each field not ``@required`` (nor in ``noted``, already told) in a section
    whose header says "required"; ``comments`` maps comment lines to their text after ``#``."""
    groups = _header_groups(comments)
    where = f"{source} " if source else ""
    notes: list[SchemaNote] = []
    for index, (start, end) in enumerate(groups):
        text = " ".join(_DECORATION.sub(" ", comments[n]) for n in range(start, end + 1))
        if not says_required(text):
            continue
        stop = groups[index + 1][0] if index + 1 < len(groups) else None
        notes.extend(
            SchemaNote(
                "plain-required",
                field.name,
                field.line,
                f"{where}line {field.line}: {field.name} is under the header on line {start}"
                f" that says 'required', which declares nothing ({field.name} is optional):"
                f" write '# @required' on a line of its own above {field.name}=…",
                source,
            )
            for field in fields
            if field.line is not None
            and field.line > end
            and (stop is None or field.line < stop)
            and not field.required
            and field.name not in noted
        )
    return tuple(notes)


def _header_groups(comments: Mapping[int, str]) -> list[tuple[int, int]]:
    """The first and last line of each header: a header line, or several with at most two
    comment lines between them (``#####`` / ``# Required settings`` / ``#####``), in order."""
    lines = sorted(
        n for n, body in comments.items() if is_section_break(body) and not commented_out_name(body)
    )
    groups: list[tuple[int, int]] = []
    for number in lines:
        if groups and _frames(comments, groups[-1][1], number):
            groups[-1] = (groups[-1][0], number)
        else:
            groups.append((number, number))
    return groups


def _frames(comments: Mapping[int, str], previous: int, number: int) -> bool:
    between = range(previous + 1, number)
    return len(between) <= _FRAMED and all(n in comments for n in between)
