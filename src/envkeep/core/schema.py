"""Schemas: what a service needs, from an annotated ``.env.example`` or an envkeep.toml table.

In a ``.env.example`` each ``NAME=example`` entry is a field. The comment lines directly above
it (no blank line between) hold its annotations, the words that start with ``@``, and its
description, the other words::

    # The HTTP port the API listens on.
    # @required @type=port
    PORT=8080

Annotations: ``@required``, ``@secret``, ``@type=T`` (one of ``TYPES``; ``enum(a,b,…)`` lists
the choices), ``@min=N`` and ``@max=N`` (the number for int, float and port, seconds for a
duration, the length otherwise), ``@pattern=REGEX`` (a full match) and ``@default=VALUE``. An
annotation value runs to the next whitespace; one with spaces is written as a JSON string,
``@default="two words"``. Parsing is strict: an unknown, repeated or malformed annotation, or
one that no variable follows directly, is a ``ParseError`` naming its line. The entry's own
value is its ``example``, never a default. Messages name variables and lines, never values.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING

from envkeep.core.checkplan import CheckPlan, compile_plan
from envkeep.core.dotenv import is_valid_name, parse_dotenv, render_dotenv
from envkeep.core.errors import InputError, ParseError
from envkeep.core.validate import format_number, matches_type

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from envkeep.core.dotenv import DotenvEntry

__all__ = [
    "ANNOTATIONS",
    "TABLE_KEYS",
    "TYPES",
    "FieldSpec",
    "Schema",
    "infer_type",
    "parse_env_example",
    "render_env_example",
    "schema_from_table",
]

TYPES: tuple[str, ...] = (
    "string",
    "int",
    "float",
    "bool",
    "url",
    "email",
    "port",
    "enum",
    "json",
    "duration",
    "path",
)
ANNOTATIONS: tuple[str, ...] = ("required", "type", "min", "max", "pattern", "secret", "default")
TABLE_KEYS: tuple[str, ...] = (
    "type",
    "required",
    "min",
    "max",
    "pattern",
    "secret",
    "default",
    "description",
    "choices",
    "example",
)

_ANNOTATION_HINT = (
    "Known annotations: @required, @secret, @type=T, @min=N, @max=N, @pattern=REGEX, "
    "@default=VALUE; types: string, int, float, bool, url, email, port, enum(a,b,…), json, "
    "duration, path."
)
_TABLE_HINT = (
    'Write NAME = "int" or NAME = { type = "port", required = true, min = 1 }; keys: '
    + ", ".join(TABLE_KEYS)
    + "."
)
_SPACE = " \t\r\f\v"  # what the dotenv parser strips around a line
_TOKEN_RE = re.compile(
    r'@(?P<key>[^\s=]*)(?:=(?P<value>"(?:[^"\\]|\\.)*"(?=\s|$)|\S*))?|(?P<word>\S+)'
)
_ENUM_RE = re.compile(r"enum\((?P<choices>.*)\)", re.DOTALL)
_CHOICE_RE = re.compile(r'[^\s,()"\x00-\x1f\x7f]+')
_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_BARE_VALUE_RE = re.compile(r'(?:[^\s"\x00-\x1f\x7f][^\s\x00-\x1f\x7f]*)?')


class _Malformed(Exception):
    """An annotation or table entry that is not well-formed; the message holds no value."""


@dataclass(frozen=True)
class FieldSpec:
    """One variable a service needs: its type and constraints, as the schema declares them."""

    name: str
    type: str = "string"  # one of TYPES
    required: bool = False
    default: str | None = None
    secret: bool = False
    description: str | None = None
    minimum: float | None = None  # the number, a duration's seconds, or else the length
    maximum: float | None = None
    pattern: str | None = None  # a regular expression the whole value must match
    choices: tuple[str, ...] = ()  # for enum
    example: str | None = None  # the value written in the .env.example; not a default
    line: int | None = None  # where the field is declared, when it comes from a file


@dataclass(frozen=True)
class Schema:
    """The fields of one service, in declaration order; ``source`` labels where they came from."""

    fields: tuple[FieldSpec, ...]
    source: str | None = None

    def field(self, name: str) -> FieldSpec | None:
        """Return the field called ``name``, or None."""
        return next((spec for spec in self.fields if spec.name == name), None)

    @property
    def names(self) -> tuple[str, ...]:
        """The field names in declaration order."""
        return tuple(spec.name for spec in self.fields)

    @cached_property
    def check_plan(self) -> CheckPlan:
        """How `validate_values` checks these fields, compiled on first use."""
        return compile_plan(self.fields)

    def merged_with(self, other: Schema) -> Schema:
        """Return this schema with ``other``'s fields replacing same-named ones, new ones last."""
        overrides = {spec.name: spec for spec in other.fields}
        kept = tuple(overrides.pop(spec.name, spec) for spec in self.fields)
        return Schema(fields=kept + tuple(overrides.values()), source=self.source)


# --- .env.example ------------------------------------------------------------------------


def parse_env_example(text: str, *, source: str | None = None) -> Schema:
    """Read the schema of an annotated ``.env.example``; raise ``ParseError`` with the line.

    Besides dotenv syntax errors: an unknown, repeated or malformed annotation, an annotation
    not directly above a variable, and a variable declared twice are errors.
    """
    entries = parse_dotenv(text, source=source).entries
    comments = _comment_lines(text, entries)
    fields: list[FieldSpec] = []
    attached: set[int] = set()
    declared: dict[str, int] = {}
    for entry in entries:
        first = declared.setdefault(entry.name, entry.line)
        if first != entry.line:
            raise ParseError(
                f"{entry.name!r} is declared twice (first on line {first})",
                line=entry.line,
                source=source,
                hint="Keep one declaration of each variable.",
            )
        block = _block_above(entry.line, comments)
        attached.update(block)
        fields.append(_field_from_comments(entry, [(n, comments[n]) for n in block], source))
    _reject_detached_annotations(comments, attached, source)
    return Schema(fields=tuple(fields), source=source)


def _comment_lines(text: str, entries: Sequence[DotenvEntry]) -> dict[int, str]:
    """Map each comment line's number to its text after ``#`` (values spanning lines skipped)."""
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").split("\n")
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
    spec = FieldSpec(name=entry.name, example=entry.value or None, line=entry.line)
    seen: set[str] = set()
    words: list[str] = []
    for number, body in block:
        for match in _TOKEN_RE.finditer(body):
            if match["word"] is not None:
                words.append(match["word"])
                continue
            key = match["key"]
            if key not in ANNOTATIONS:
                raise _unknown_annotation(key, f"for {entry.name!r}", number, source)
            if key in seen:
                raise ParseError(
                    f"@{key} is given twice for {entry.name!r}", line=number, source=source
                )
            seen.add(key)
            try:
                spec = _check_bounds(_apply_annotation(spec, key, match["value"]))
            except _Malformed as error:
                raise ParseError(
                    f"@{key} of {entry.name!r}: {error}",
                    line=number,
                    source=source,
                    hint=_ANNOTATION_HINT,
                ) from None
    return replace(spec, description=" ".join(words) or None)


def _unknown_annotation(key: str, where: str, line: int, source: str | None) -> ParseError:
    return ParseError(
        f"unknown annotation '@{_shorten(key)}' {where}".rstrip(),
        line=line,
        source=source,
        hint=_ANNOTATION_HINT,
    )


def _reject_detached_annotations(
    comments: Mapping[int, str], attached: set[int], source: str | None
) -> None:
    for number, body in sorted(comments.items()):
        if number in attached:
            continue
        for match in _TOKEN_RE.finditer(body):
            key = match["key"]
            if key is None:
                continue
            if key not in ANNOTATIONS:
                raise _unknown_annotation(key, "", number, source)
            raise ParseError(
                f"annotation '@{key}' is not directly above a variable",
                line=number,
                source=source,
                hint="Put annotations in the comment lines right above NAME=…, "
                "with no blank line between.",
            )


def _apply_annotation(spec: FieldSpec, key: str, raw: str | None) -> FieldSpec:
    if key in ("required", "secret"):
        if raw is not None:
            raise _Malformed("takes no value")
        return replace(spec, required=True) if key == "required" else replace(spec, secret=True)
    if raw is None:
        raise _Malformed(f"needs a value: @{key}=…")
    return _SETTERS[key](spec, _unquote(key, raw))


def _unquote(key: str, raw: str) -> str:
    if not raw.startswith('"'):
        return raw
    try:
        decoded = json.loads(raw)
    except ValueError:
        decoded = None
    if not isinstance(decoded, str):
        raise _Malformed("has a malformed quoted value")
    return decoded


def _set_type(spec: FieldSpec, text: str) -> FieldSpec:
    type_name, choices = _parse_type(text)
    return replace(spec, type=type_name, choices=choices)


def _set_number(key: str) -> Callable[[FieldSpec, str], FieldSpec]:
    def setter(spec: FieldSpec, text: str) -> FieldSpec:
        if _NUMBER_RE.fullmatch(text) is None:
            raise _Malformed("must be a number")
        number = _finite(float(text))
        return replace(spec, minimum=number) if key == "min" else replace(spec, maximum=number)

    return setter


_SETTERS: dict[str, Callable[[FieldSpec, str], FieldSpec]] = {
    "type": _set_type,
    "min": _set_number("min"),
    "max": _set_number("max"),
    "pattern": lambda spec, text: replace(spec, pattern=_pattern(text)),
    "default": lambda spec, text: replace(spec, default=text),
}


# --- shared by both forms -----------------------------------------------------------------


def _parse_type(text: str) -> tuple[str, tuple[str, ...]]:
    enum = _ENUM_RE.fullmatch(text)
    if enum is not None:
        return "enum", _choices(enum["choices"].split(","))
    if text == "enum":
        raise _Malformed("type enum needs its choices: enum(a,b,…)")
    if text not in TYPES:
        raise _Malformed("needs a type name" if not text else f"unknown type {_shorten(text)!r}")
    return text, ()


def _choices(items: Sequence[object]) -> tuple[str, ...]:
    choices = tuple(str(item) for item in items if isinstance(item, str))
    if not choices or len(choices) != len(items):
        raise _Malformed("an enum needs a list of choices")
    if not all(_CHOICE_RE.fullmatch(choice) for choice in choices):
        raise _Malformed("an enum choice must be non-empty, without spaces, commas or brackets")
    if len(set(choices)) != len(choices):
        raise _Malformed("an enum lists a choice twice")
    return choices


def _pattern(text: str) -> str:
    if not text:
        raise _Malformed("needs a regular expression")
    try:
        re.compile(text)
    except re.error as error:
        raise _Malformed(f"invalid regular expression ({error.msg})") from None
    return text


def _finite(number: float) -> float:
    if not math.isfinite(number):
        raise _Malformed("is out of range")
    return number


def _check_bounds(spec: FieldSpec) -> FieldSpec:
    if spec.minimum is not None and spec.maximum is not None and spec.minimum > spec.maximum:
        raise _Malformed("the minimum is greater than the maximum")
    return spec


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else f"{text[:limit]}…"


# --- envkeep.toml table -------------------------------------------------------------------


def schema_from_table(table: Mapping[str, object], *, source: str | None = None) -> Schema:
    """Read a ``[services.NAME.schema]`` table (as tomllib parsed it) into a ``Schema``.

    Each key is a variable name; its value is a type (``"int"``, ``"enum(a,b)"``) or a table
    with the keys in ``TABLE_KEYS``. Raise ``InputError`` naming the variable and the problem.
    """
    where = f"{source}: " if source else ""
    fields: list[FieldSpec] = []
    for name, value in table.items():
        if not is_valid_name(name):
            raise InputError(
                f"{where}invalid variable name {_shorten(name)!r} in the schema",
                hint="A name starts with a letter or '_' and continues with letters, digits, "
                "'_', '.' or '-'.",
            )
        try:
            fields.append(_field_from_table(name, value))
        except _Malformed as error:
            raise InputError(f"{where}schema of {name!r}: {error}", hint=_TABLE_HINT) from None
    return Schema(fields=tuple(fields), source=source)


def _field_from_table(name: str, value: object) -> FieldSpec:
    if isinstance(value, str):
        type_name, choices = _parse_type(value)
        return FieldSpec(name=name, type=type_name, choices=choices)
    if not isinstance(value, Mapping):
        raise _Malformed("must be a type name or a table")
    unknown = sorted(str(key) for key in value if key not in TABLE_KEYS)
    if unknown:
        raise _Malformed(f"unknown key {_shorten(unknown[0])!r}")
    type_name, choices = _table_type(value)
    pattern = _table_text(value, "pattern", convert=False)
    if pattern is not None:
        try:
            _pattern(pattern)
        except _Malformed as error:
            raise _Malformed(f"'pattern' {error}") from None
    description = _table_text(value, "description", convert=False)
    return _check_bounds(
        FieldSpec(
            name=name,
            type=type_name,
            choices=choices,
            required=_table_flag(value, "required"),
            secret=_table_flag(value, "secret"),
            minimum=_table_number(value, "min"),
            maximum=_table_number(value, "max"),
            pattern=pattern,
            default=_table_text(value, "default"),
            description=" ".join((description or "").split()) or None,
            example=_table_text(value, "example") or None,
        )
    )


def _table_type(table: Mapping[object, object]) -> tuple[str, tuple[str, ...]]:
    type_name = table.get("type", "string")
    if not isinstance(type_name, str):
        raise _Malformed("'type' must be a string")
    choices = table.get("choices")
    if choices is None:
        return _parse_type(type_name)
    if type_name != "enum":
        raise _Malformed("'choices' needs type = \"enum\"")
    if not isinstance(choices, list):
        raise _Malformed("'choices' must be a list of strings")
    return "enum", _choices(choices)


def _table_flag(table: Mapping[object, object], key: str) -> bool:
    flag = table.get(key, False)
    if not isinstance(flag, bool):
        raise _Malformed(f"{key!r} must be true or false")
    return flag


def _table_number(table: Mapping[object, object], key: str) -> float | None:
    number = table.get(key)
    if number is None:
        return None
    if isinstance(number, bool) or not isinstance(number, int | float):
        raise _Malformed(f"{key!r} must be a number")
    try:
        return _finite(float(number))
    except (OverflowError, _Malformed):
        raise _Malformed(f"{key!r} is out of range") from None


def _table_text(table: Mapping[object, object], key: str, *, convert: bool = True) -> str | None:
    text = table.get(key)
    if text is None or isinstance(text, str):
        return text
    if convert and isinstance(text, bool):
        return "true" if text else "false"
    if convert and isinstance(text, int | float):
        return str(text)
    raise _Malformed(f"{key!r} must be a string")


# --- rendering and inference --------------------------------------------------------------


def render_env_example(schema: Schema) -> str:
    """Write ``schema`` as an annotated ``.env.example`` that ``parse_env_example`` reads back.

    One block per field, separated by blank lines: the description, one line of annotations,
    ``NAME=example``. Raise ``InputError`` for a field the file format cannot express (an
    unknown type, bad enum choices, a description word starting with ``@``).
    """
    return "\n".join(_render_field(spec) for spec in schema.fields)


def _render_field(spec: FieldSpec) -> str:
    lines = [f"# {line}" for line in _description_lines(spec)]
    annotations = _annotations(spec)
    if annotations:
        lines.append("# " + " ".join(annotations))
    lines.append(_entry_line(spec.name, spec.example or ""))
    return "".join(f"{line}\n" for line in lines)


def _description_lines(spec: FieldSpec) -> list[str]:
    words = (spec.description or "").split()
    if any(word.startswith("@") or "\x00" in word for word in words):
        raise InputError(
            f"the description of {spec.name!r} has a word starting with '@' or a NUL character,"
            " which an .env.example cannot hold"
        )
    return textwrap.wrap(" ".join(words), width=96, break_long_words=False, break_on_hyphens=False)


def _annotations(spec: FieldSpec) -> list[str]:
    annotations = ["@required"] if spec.required else []
    if spec.type != "string":
        annotations.append(f"@type={_type_text(spec)}")
    if spec.minimum is not None:
        annotations.append(f"@min={format_number(spec.minimum)}")
    if spec.maximum is not None:
        annotations.append(f"@max={format_number(spec.maximum)}")
    if spec.pattern is not None:
        annotations.append(f"@pattern={_quote(spec.pattern)}")
    if spec.secret:
        annotations.append("@secret")
    if spec.default is not None:
        annotations.append(f"@default={_quote(spec.default)}")
    return annotations


def _type_text(spec: FieldSpec) -> str:
    try:
        if spec.type == "enum":
            return f"enum({','.join(_choices(spec.choices))})"
        return _parse_type(spec.type)[0]
    except _Malformed as error:
        raise InputError(f"cannot write the type of {spec.name!r}: {error}") from None


def _quote(value: str) -> str:
    if _BARE_VALUE_RE.fullmatch(value):
        return value
    return json.dumps(value, ensure_ascii=False)


def _entry_line(name: str, value: str) -> str:
    """``NAME=value`` as written when the dotenv parser reads that back, else quoted."""
    plain = f"{name}={value}"
    try:
        if "\n" not in value and parse_dotenv(plain).values == {name: value}:
            return plain
    except ParseError:
        pass
    return render_dotenv({name: value}).rstrip("\n")


def infer_type(value: str) -> str:
    """Guess a type from a stored value, for a first schema (``envkeep schema init``).

    ``true``/``false`` → bool, ``42`` → int, ``1.5`` → float, ``https://…`` → url,
    ``a@b.co`` → email, ``30s`` → duration, an object or array → json, else string.
    """
    if value.lower() in ("true", "false"):
        return "bool"
    for type_name in ("int", "float", "url", "email", "duration"):
        if matches_type(type_name, value):
            return type_name
    if value.startswith(("{", "[")) and matches_type("json", value):
        return "json"
    return "string"
