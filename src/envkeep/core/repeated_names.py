"""A name a ``.env.example`` declares twice: real files do (``DEBUG=true`` under ``#
Development``, ``DEBUG=false`` under ``# Production``; a block pasted twice). It is read as one
variable, with a note naming both lines; refusing the file stopped `init`, `service add`,
`validate` and `run` of a service whose file meant nothing ambiguous. What the schema says of
the variable must still be one thing: annotations given on both lines must be the same
(either line alone may carry them), else the file is refused naming both lines. The example
is the later value, as dotenv readers load the file (the last assignment wins)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import TYPE_CHECKING

from envkeep.core.errors import ParseError
from envkeep.core.fieldspec import FieldSpec, SchemaNote

if TYPE_CHECKING:
    from collections.abc import Sequence


def merge_repeated(
    fields: Sequence[FieldSpec], *, source: str | None
) -> tuple[tuple[FieldSpec, ...], tuple[SchemaNote, ...]]:
    """``fields`` with each repeated name read as one field, in order where the declaration
    its annotations come from is (the first when none or all carry any), the line it gives;
    a note for each repetition. Raise ParseError when two declarations' annotations differ."""
    declared_on: dict[str, list[int | None]] = {}
    for spec in fields:
        declared_on.setdefault(spec.name, []).append(spec.line)
    merged: dict[str, FieldSpec] = {}
    first_lines: dict[str, int | None] = {}  # the merged field's line is its annotated one's
    notes: list[SchemaNote] = []
    where = f"{source} " if source else ""
    for spec in fields:
        earlier = merged.get(spec.name)
        if earlier is None:
            merged[spec.name] = spec
            first_lines[spec.name] = spec.line
            continue
        one = _one_of(earlier, spec, declared_on[spec.name], source)
        if one.line != earlier.line:  # its annotations are this line's: it stands here
            del merged[spec.name]
        merged[spec.name] = one
        notes.append(
            SchemaNote(
                "duplicate",
                spec.name,
                spec.line or 0,
                f"{where}line {spec.line}: {spec.name} is declared again (first on line"
                f" {first_lines[spec.name]}); it is read as one variable whose example is the later"
                f" value: {_keep_one(spec.name, len(declared_on[spec.name]))}",
                source,
            )
        )
    return tuple(merged.values()), tuple(notes)


def _keep_one(name: str, times: int) -> str:
    if times == 2:
        return f"delete one of the two, or comment it out (# {name}=…)"
    return f"delete all {times} but one, or comment them out (# {name}=…)"


def _one_of(
    first: FieldSpec, again: FieldSpec, lines: Sequence[int | None], source: str | None
) -> FieldSpec:
    """The field two declarations make: the annotations of the one that has any (both: the
    same ones, else an error naming each line of the name, ``lines``), the later example,
    the first description found."""
    if _annotated(first) and _annotated(again) and _rules(first) != _rules(again):
        raise _differ(first, again, lines, source)
    base = again if _annotated(again) and not _annotated(first) else first
    other = first if base is again else again
    return replace(
        base,
        example=again.example,
        example_line=again.example_line,
        description=base.description or other.description,
    )


def _differ(
    first: FieldSpec, again: FieldSpec, lines: Sequence[int | None], source: str | None
) -> ParseError:
    """The refusal of two declarations' different annotations: how many times the name is
    declared, and on which lines, when more than these two."""
    pair = f"lines {first.line} and {again.line}"
    if len(lines) == 2:
        said, others, all_of = f"twice with different annotations ({pair})", "other is", "both"
    else:
        *most, last = [str(line) for line in lines]
        every = f"lines {', '.join(most)} and {last}"
        said = f"{len(lines)} times ({every}) with different annotations on {pair}"
        others, all_of = "others are", "all"
    return ParseError(
        f"{first.name!r} is declared {said}, so what it must be is unclear",
        line=again.line,
        source=source,
        hint=f"keep the annotations above one {first.name}=… only (the {others} read with"
        f" them), or make {all_of} say the same",
    )


def _rules(spec: FieldSpec) -> FieldSpec:
    """What the annotations say of ``spec``: not its example, description or lines."""
    return replace(spec, example=None, description=None, line=None, example_line=None)


def _annotated(spec: FieldSpec) -> bool:
    return _rules(spec) != FieldSpec(spec.name)


def annotated_lines(
    declarations: Sequence[FieldSpec], fields: Sequence[FieldSpec]
) -> dict[str, int]:
    """The line each name declared more than once takes its annotations from, for those whose
    field has any: a note telling to write ``@required`` names it (`plain_required`)."""
    counts = Counter(spec.name for spec in declarations)
    repeated = {name for name, count in counts.items() if count > 1}
    return {
        spec.name: spec.line
        for spec in fields
        if spec.name in repeated and spec.line is not None and _annotated(spec)
    }
