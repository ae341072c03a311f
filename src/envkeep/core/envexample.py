"""Reading the schema of an annotated ``.env.example`` (the format is described in
`envkeep.core.schema`)."""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import replace
from typing import TYPE_CHECKING

from envkeep.core._annotation_tokens import TOKEN_RE
from envkeep.core._fieldrules import (
    Malformed,
    check_bounds,
    checked_pattern,
    default_problem,
    finite,
    parse_type,
    shorten,
)
from envkeep.core._section_breaks import commented_out_name, is_section_break
from envkeep.core._trailing_comments import trailing_comments
from envkeep.core.did_you_mean import did_you_mean
from envkeep.core.dotenv import parse_dotenv
from envkeep.core.errors import ParseError
from envkeep.core.fieldspec import ANNOTATIONS, FieldSpec, Schema
from envkeep.core.near_names import suggestions
from envkeep.core.plain_required import plain_required_notes
from envkeep.core.repeated_names import annotated_lines, merge_repeated
from envkeep.core.required_headers import required_header_notes
from envkeep.core.required_labels import required_label_notes

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from envkeep.core._trailing_comments import TrailingComment
    from envkeep.core.dotenv import DotenvEntry

__all__ = ["parse_env_example"]

_ANNOTATION_HINT = (
    "known annotations: @required, @secret, @type=T, @min=N, @max=N, @pattern=REGEX, "
    "@default=VALUE; types: string, int, float, bool, url, email, port, enum(a,b,…), json, "
    "duration, path"
)
_DEFAULT_HINT = (
    "make @default a value the variable's own annotations accept (@type, @min/@max, "
    "@pattern; not empty when @required), or remove it"
)
_SPACE = " \t\r\f\v"  # what the dotenv parser strips around a line
_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def parse_env_example(text: str, *, source: str | None = None) -> Schema:
    """Read the schema of an annotated ``.env.example``; raise ``ParseError`` with the line.

    Besides dotenv syntax errors: an unknown, repeated or malformed annotation, an annotation
    not directly above a variable, and a variable declared twice with different annotations
    are errors. A variable declared twice otherwise (`repeated_names`), and a "required" in
    plain words (`plain_required`, `required_headers`, `required_labels`), are the schema's
    notes.
    """
    entries = parse_dotenv(text, source=source).entries
    lines = _lines(text)
    comments = _comment_lines(lines, entries)
    declared: list[FieldSpec] = []
    attached: set[int] = set()
    for entry in entries:
        block = _block_above(entry.line, comments)
        attached.update(block)
        declared.append(_field_from_comments(entry, [(n, comments[n]) for n in block], source))
    _reject_detached_annotations(comments, attached, source)
    fields, repeated = merge_repeated(declared, source=source)
    trailing = trailing_comments(text, source=source)  # one scan for both: every read pays it
    _reject_trailing_annotations(trailing, source)
    at = annotated_lines(declared, fields)  # where a note says to write `@required`
    plain = plain_required_notes(
        trailing, comments, declared, fields, source=source, annotated_at=at
    )
    told = {note.name for note in plain}
    headers = required_header_notes(
        comments, declared, fields, source=source, annotated_at=at, noted=told
    )
    told |= {note.name for note in headers}
    labels = required_label_notes(
        lines, comments, declared, fields, source=source, annotated_at=at, noted=told
    )
    notes = sorted((*plain, *headers, *labels, *repeated), key=lambda note: note.line)
    return Schema(fields=fields, source=source, notes=tuple(notes))


def _reject_trailing_annotations(trailing: Sequence[TrailingComment], source: str | None) -> None:
    """Refuse a known annotation in a comment after a value on its own line (``KEY=x #
    @secret``): such a comment is not read, and a dropped ``@secret`` would put the value in
    a ConfigMap and unmasked CI logs. Other words there (``# ask @ops``) are left alone."""
    for comment in trailing:
        for match in TOKEN_RE.finditer(comment.text):
            key = match["key"]
            if key is not None and key in ANNOTATIONS:
                raise ParseError(
                    f"annotation '@{key}' follows {comment.name}'s value on its line, where"
                    " comments are not read",
                    line=comment.line,
                    source=source,
                    hint=f"put it on a comment line of its own right above {comment.name}=…",
                )


def _lines(text: str) -> list[str]:
    return text.removeprefix("\ufeff").replace("\r\n", "\n").split("\n")


def _comment_lines(lines: list[str], entries: Sequence[DotenvEntry]) -> dict[int, str]:
    """Map each comment line's number to its text after ``#`` (values spanning lines skipped)."""
    inside: set[int] = set()
    starts = [entry.line for entry in entries] + [len(lines) + 1]
    for start, next_start in itertools.pairwise(starts):
        inside.update(range(start, _last_line(lines, start, next_start) + 1))
    comments: dict[int, str] = {}
    for number, line in enumerate(lines, start=1):
        content = line.strip(_SPACE)
        if number not in inside and content.startswith("#"):
            comments[number] = content[1:]
    return comments


def _last_line(lines: list[str], start: int, next_start: int) -> int:
    """The line where the entry starting on ``start`` ends: the first prefix that parses."""
    for end in range(start, next_start):
        try:
            parse_dotenv("\n".join(lines[start - 1 : end]))
        except ParseError:
            continue
        return end
    return next_start - 1


def _block_above(line: int, comments: Mapping[int, str]) -> list[int]:
    block: list[int] = []
    number = line - 1
    while number in comments:
        block.insert(0, number)
        number -= 1
    return block


def _field_from_comments(
    entry: DotenvEntry, block: list[tuple[int, str]], source: str | None
) -> FieldSpec:
    _reject_annotations_of_commented_out(entry.name, block, source)
    example = entry.value or None
    spec = FieldSpec(
        name=entry.name,
        example=example,
        line=entry.line,
        example_line=None if example is None else entry.line,
    )
    seen: dict[str, int] = {}  # annotation -> its line
    words: list[str] = []
    for number, body in block:
        describes = not is_section_break(body)
        if not describes and commented_out_name(body) != entry.name:
            words.clear()  # a header's or a commented-out variable's words, not this one's
        for match in TOKEN_RE.finditer(body):
            if match["word"] is not None:
                if describes:
                    words.append(match["word"])
                continue
            key = match["key"]
            if key not in ANNOTATIONS:
                raise _unknown_annotation(key, f"for {entry.name!r}", number, source)
            if key in seen:
                raise ParseError(
                    f"@{key} is given twice for {entry.name!r}", line=number, source=source
                )
            seen[key] = number
            try:
                spec = check_bounds(_apply_annotation(spec, key, match["value"]))
            except Malformed as error:
                raise ParseError(
                    f"@{key} of {entry.name!r}: {error}",
                    line=number,
                    source=source,
                    hint=_ANNOTATION_HINT,
                ) from None
    _check_default(spec, seen.get("default"), source)
    return replace(spec, description=" ".join(words) or None)


def _reject_annotations_of_commented_out(
    name: str, block: list[tuple[int, str]], source: str | None
) -> None:
    """Refuse an annotation on or above a commented-out ``# OTHER=`` in ``name``'s block: it
    was written for OTHER, and read for ``name`` a ``@secret`` or ``@type`` lands on the wrong
    variable without a word. A commented-out ``# NAME=`` of ``name`` itself (another value
    for it) is about ``name``: what is above it stays ``name``'s."""
    others = (
        i for i, (_, body) in enumerate(block) if commented_out_name(body) not in {None, name}
    )
    last = max(others, default=-1)
    for number, body in block[: last + 1]:
        for match in TOKEN_RE.finditer(body):
            if match["key"] is not None:
                other_line, other_body = block[last]
                other = commented_out_name(other_body)
                raise ParseError(
                    f"annotation '@{match['key']}' goes with the commented-out {other}= (line"
                    f" {other_line}), but would apply to {name}",
                    line=number,
                    source=source,
                    hint=f"uncomment {other}=… to declare it (an optional variable may stay"
                    f" empty), or move the annotation right above {name}=…",
                )


def _check_default(spec: FieldSpec, line: int | None, source: str | None) -> None:
    """Refuse a default the field's own annotations refuse (after all of them are read: a
    ``@type`` may come after the ``@default``), as ``@min`` above ``@max`` is refused."""
    problem = default_problem(spec)
    if problem is not None:
        raise ParseError(
            f"@default of {spec.name!r} breaks its own rules ({problem})",
            line=line,
            source=source,
            hint=_DEFAULT_HINT,
        )


def _unknown_annotation(key: str, where: str, line: int, source: str | None) -> ParseError:
    # A comment mentioning someone (`# ask @devops`) reads as an annotation: say how to keep it.
    near = suggestions(key, ANNOTATIONS, limit=1)
    if near:
        extra = f"; {did_you_mean(f'@{near[0]}', quoted=False)}"
    else:
        extra = f"; a mention in a comment is not one: write it (@{shorten(key)})" if key else ""
    return ParseError(
        f"unknown annotation '@{shorten(key)}' {where}".rstrip(),
        line=line,
        source=source,
        hint=_ANNOTATION_HINT + extra,
    )


def _reject_detached_annotations(
    comments: Mapping[int, str], attached: set[int], source: str | None
) -> None:
    for number, body in sorted(comments.items()):
        if number in attached:
            continue
        for match in TOKEN_RE.finditer(body):
            key = match["key"]
            if key is None:
                continue
            if key not in ANNOTATIONS:
                raise _unknown_annotation(key, "", number, source)
            raise ParseError(
                f"annotation '@{key}' is not directly above a variable",
                line=number,
                source=source,
                hint="put annotations in the comment lines right above NAME=…, "
                "with no blank line between",
            )


def _apply_annotation(spec: FieldSpec, key: str, raw: str | None) -> FieldSpec:
    if key in ("required", "secret"):
        if raw is not None:
            raise Malformed("takes no value")
        return replace(spec, required=True) if key == "required" else replace(spec, secret=True)
    if raw is None:
        raise Malformed(f"needs a value: @{key}=…")
    return _SETTERS[key](spec, _unquote(key, raw))


def _unquote(key: str, raw: str) -> str:
    if not raw.startswith('"'):
        return raw
    try:
        decoded = json.loads(raw)
    except ValueError:
        decoded = None
    if not isinstance(decoded, str):
        raise Malformed("has a malformed quoted value")
    return decoded


def _set_type(spec: FieldSpec, text: str) -> FieldSpec:
    type_name, choices = parse_type(text)
    return replace(spec, type=type_name, choices=choices)


def _set_number(key: str) -> Callable[[FieldSpec, str], FieldSpec]:
    def setter(spec: FieldSpec, text: str) -> FieldSpec:
        if _NUMBER_RE.fullmatch(text) is None:
            raise Malformed("must be a number")
        number = finite(float(text))
        return replace(spec, minimum=number) if key == "min" else replace(spec, maximum=number)

    return setter


_SETTERS: dict[str, Callable[[FieldSpec, str], FieldSpec]] = {
    "type": _set_type,
    "min": _set_number("min"),
    "max": _set_number("max"),
    "pattern": lambda spec, text: replace(spec, pattern=checked_pattern(text)),
    "default": lambda spec, text: replace(spec, default=text),
}
