"""A section header of a ``.env.example`` that says "required" (``# --- Required ---``,
``## Required settings``, a ``# Required`` framed by rules of ``#`` or underlined by a rule)
declares nothing: only ``@required`` does, so every variable under it is optional and
`validate` passes without them. The notes found here say so for each such variable, as
`plain_required` does for a comment about one variable. A header is about its whole section:
the variables declared below it up to the next header (a name declared twice, on each of its
lines); under a ``## Required``, deeper ``### Database`` headers are parts of its section.
Notes, not a conversion: a silent ``@required`` would turn values a project leaves unset today
into errors that stop its `run` and its CI."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from envkeep.core._section_breaks import commented_out_name, is_section_break
from envkeep.core.plain_required import mentions_required, says_required
from envkeep.core.required_note import required_note

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping, Sequence

    from envkeep.core.fieldspec import FieldSpec, SchemaNote

_FRAMED = 2  # comment lines between two header lines that are the title they frame
_DECORATION = re.compile(r"([-=*~_#])\1+")  # `---Required---`: the word, not `-required`
_RULE = re.compile(r"\s*([-=*~_#])\1\1+\s*")  # a comment line of decoration only: `# ------`
_OPTIONAL = re.compile(r"\b(?:optional|not required)\b", re.IGNORECASE)


def required_header_notes(
    comments: Mapping[int, str],
    declarations: Sequence[FieldSpec],
    fields: Sequence[FieldSpec],
    *,
    source: str | None,
    annotated_at: Mapping[str, int],
    noted: Collection[str] = (),
) -> tuple[SchemaNote, ...]:
    """A note for each field not ``@required`` (nor in ``noted``, already told) declared in a
    section whose header says "required": at the first of its ``declarations`` (each line a
    name is declared on) in such a section; ``fields`` say which are ``@required``, and
    ``comments`` map comment lines to their text after ``#``."""
    groups = _header_groups(comments)
    told = {spec.name for spec in fields if spec.required} | set(noted)
    notes: list[SchemaNote] = []
    for index, (start, end) in enumerate(groups):
        titles = {n: _DECORATION.sub(" ", comments[n]) for n in range(start, end + 1)}
        if not says_required(" ".join(titles.values())):
            continue
        said = next((n for n, title in titles.items() if mentions_required(title)), start)
        stop = _section_end(comments, groups, index)
        for spec in declarations:
            if (
                spec.line is None
                or spec.line <= end
                or (stop is not None and spec.line >= stop)
                or spec.name in told
            ):
                continue
            told.add(spec.name)
            notes.append(
                required_note(
                    spec.name,
                    spec.line,
                    said,
                    source=source,
                    annotated_at=annotated_at.get(spec.name),
                )
            )
    return tuple(sorted(notes, key=lambda note: note.line))


def _section_end(
    comments: Mapping[int, str], groups: Sequence[tuple[int, int]], index: int
) -> int | None:
    """The first line of the header ending the section of ``groups[index]`` (None: the file
    ends it): the next header, but under a ``## Required`` a deeper ``### Database`` is a
    part of it, up to a header as high or higher, one of another form, or one saying
    "optional"."""
    level = _level(comments, groups[index])
    for start, end in groups[index + 1 :]:
        deeper = _level(comments, (start, end))
        if level is None or deeper is None or deeper <= level:
            return start
        if _OPTIONAL.search(" ".join(comments[n] for n in range(start, end + 1))):
            return start
    return None


def _level(comments: Mapping[int, str], group: tuple[int, int]) -> int | None:
    """The number of ``#`` opening a Markdown-style header (``### Database``: 3); None for
    the other forms (``# --- Database ---``, a title framed or underlined by rules)."""
    titles = [comments[n] for n in range(group[0], group[1] + 1)]
    title = next((body for body in titles if _RULE.fullmatch(body) is None), "")
    hashes = len(title) - len(title.lstrip("#"))
    return 1 + hashes if hashes and title.strip("#").strip() else None


def _header_groups(comments: Mapping[int, str]) -> list[tuple[int, int]]:
    """The first and last line of each header: a header line, a title underlined by a rule
    (``# Required settings:`` / ``# ------``), or several with at most two comment lines
    between them (``#####`` / ``# Required settings`` / ``#####``), in order."""
    lines = sorted(
        n
        for n, body in comments.items()
        if not commented_out_name(body) and (is_section_break(body) or _underlined(comments, n))
    )
    groups: list[tuple[int, int]] = []
    for number in lines:
        if groups and _frames(comments, groups[-1][1], number):
            groups[-1] = (groups[-1][0], number)
        else:
            groups.append((number, number))
    return groups


def _underlined(comments: Mapping[int, str], number: int) -> bool:
    """Whether the comment line after ``number`` is a rule (``# ------``): ``number`` is a title."""
    below = comments.get(number + 1)
    return below is not None and _RULE.fullmatch(below) is not None


def _frames(comments: Mapping[int, str], previous: int, number: int) -> bool:
    between = range(previous + 1, number)
    return len(between) <= _FRAMED and all(n in comments for n in between)
