"""The one wording of a note that a comment says "required" where only ``@required``
declares: a variable's own comment (`plain_required`), its section's header
(`required_headers`) and a short label over its stack (`required_labels`) are told alike,
naming the variable's line, the line of the comment that says it, and what to write."""

from __future__ import annotations

from envkeep.core.fieldspec import SchemaNote


def required_note(
    name: str, line: int, said: int, *, source: str | None, annotated_at: int | None
) -> SchemaNote:
    """The note on ``name`` declared on ``line``, whose "required" is written on line
    ``said``; ``annotated_at``: the line its annotations come from when declared twice."""
    where = f"{source} " if source else ""
    return SchemaNote(
        "plain-required",
        name,
        line,
        f"{where}line {line}: {name} is optional; the comment on line {said} says 'required',"
        f" which declares nothing: {write_required(name, line, annotated_at)}",
        source,
    )


def write_required(name: str, noted: int, annotated_at: int | None) -> str:
    """What to write for ``name``, noted on line ``noted``: ``# @required`` above it, or above
    the declaration on line ``annotated_at`` when ``name`` is declared twice and that other
    one carries its annotations: ``@required`` above the noted line would make the two lines'
    annotations differ, which `repeated_names` refuses."""
    at = "" if annotated_at in {None, noted} else f" on line {annotated_at}"
    return f"write '# @required' on a line of its own above {name}=…{at}"
