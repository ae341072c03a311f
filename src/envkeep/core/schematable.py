"""Reading a schema from a ``[services.NAME.schema]`` table of envkeep.toml."""

from __future__ import annotations

from collections.abc import Mapping

from envkeep.core._fieldrules import (
    Malformed,
    check_bounds,
    checked_pattern,
    default_problem,
    finite,
    parse_choices,
    parse_type,
    shorten,
)
from envkeep.core.dotenv import is_valid_name
from envkeep.core.errors import InputError
from envkeep.core.fieldspec import TABLE_KEYS, FieldSpec, Schema

__all__ = ["schema_from_table"]

_TABLE_HINT = (
    'write NAME = "int" or NAME = { type = "port", required = true, min = 1 }; keys: '
    + ", ".join(TABLE_KEYS)
)


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
                f"{where}invalid variable name {shorten(name)!r} in the schema",
                hint="a name starts with a letter or '_' and continues with letters, digits, "
                "'_', '.' or '-'",
            )
        try:
            spec = _field_from_table(name, value)
        except Malformed as error:
            raise InputError(f"{where}schema of {name!r}: {error}", hint=_TABLE_HINT) from None
        fields.append(_checked_default(spec, where))
    return Schema(fields=tuple(fields), source=source)


def _checked_default(spec: FieldSpec, where: str) -> FieldSpec:
    """``spec`` once its ``default`` passes the entry's own keys (as an ``@default`` must)."""
    problem = default_problem(spec)
    if problem is not None:
        raise InputError(
            f"{where}schema of {spec.name!r}: 'default' breaks its own rules ({problem})",
            hint="make 'default' a value the entry's type, min/max and pattern accept (not "
            "empty when required = true), or remove it",
        )
    return spec


def _field_from_table(name: str, value: object) -> FieldSpec:
    if isinstance(value, str):
        type_name, choices = parse_type(value)
        return FieldSpec(name=name, type=type_name, choices=choices)
    if not isinstance(value, Mapping):
        raise Malformed("must be a type name or a table")
    unknown = sorted(str(key) for key in value if key not in TABLE_KEYS)
    if unknown:
        raise Malformed(f"unknown key {shorten(unknown[0])!r}")
    type_name, choices = _table_type(value)
    pattern = _table_text(value, "pattern", convert=False)
    if pattern is not None:
        try:
            checked_pattern(pattern)
        except Malformed as error:
            raise Malformed(f"'pattern' {error}") from None
    description = _table_text(value, "description", convert=False)
    return check_bounds(
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
        raise Malformed("'type' must be a string")
    choices = table.get("choices")
    if choices is None:
        return parse_type(type_name)
    if type_name != "enum":
        raise Malformed("'choices' needs type = \"enum\"")
    if not isinstance(choices, list):
        raise Malformed("'choices' must be a list of strings")
    return "enum", parse_choices(choices)


def _table_flag(table: Mapping[object, object], key: str) -> bool:
    flag = table.get(key, False)
    if not isinstance(flag, bool):
        raise Malformed(f"{key!r} must be true or false")
    return flag


def _table_number(table: Mapping[object, object], key: str) -> float | None:
    number = table.get(key)
    if number is None:
        return None
    if isinstance(number, bool) or not isinstance(number, int | float):
        raise Malformed(f"{key!r} must be a number")
    try:
        return finite(float(number))
    except (OverflowError, Malformed):
        raise Malformed(f"{key!r} is out of range") from None


def _table_text(table: Mapping[object, object], key: str, *, convert: bool = True) -> str | None:
    text = table.get(key)
    if text is None or isinstance(text, str):
        return text
    if convert and isinstance(text, bool):
        return "true" if text else "false"
    if convert and isinstance(text, int | float):
        return str(text)
    raise Malformed(f"{key!r} must be a string")
