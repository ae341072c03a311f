"""Validation: check a service's values against its schema, never echoing a value.

``check_value`` answers for one value; ``validate_values`` checks a whole resolved set and
returns ``Finding`` s in a stable order (schema order, then the names outside the schema
sorted). Messages say which rule failed and what was expected: a value may be a secret, so it
travels only in ``Finding.value``, which the CLI masks unless asked to reveal it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Mapping

    from envkeep.core.schema import FieldSpec, Schema

__all__ = [
    "RULES",
    "Finding",
    "check_value",
    "duration_seconds",
    "format_number",
    "matches_type",
    "validate_values",
]

RULES: tuple[str, ...] = (
    "missing",
    "empty",
    "type",
    "range",
    "pattern",
    "enum",
    "unknown",
    "unresolved",
)

_INT_RE = re.compile(r"[+-]?[0-9]+")
_FLOAT_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_PORT_RE = re.compile(r"0*[0-9]{1,5}")
_BOOLS = frozenset({"true", "false", "1", "0", "yes", "no", "on", "off"})
_EMAIL_RE = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}"
)
_DURATION_PART = r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)"
_DURATION_RE = re.compile(rf"(?:{_DURATION_PART})+|[0-9]+")
_DURATION_PART_RE = re.compile(_DURATION_PART)
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_NUMERIC_TYPES = frozenset({"int", "float", "port"})


@dataclass(frozen=True)
class Finding:
    """One problem with one variable; ``message`` never contains the value."""

    service: str | None  # None: the shared scope, or no service
    name: str
    rule: str  # one of RULES
    message: str
    severity: str = "error"  # "error" or "warning"
    value: str | None = None  # the offending raw value (masked by the CLI); None when missing


def duration_seconds(value: str) -> float | None:
    """Return a duration (``30s``, ``1h30m``, ``250ms``, ``2d``, or plain seconds) in seconds.

    Return None when ``value`` is not a duration.
    """
    if _DURATION_RE.fullmatch(value) is None:
        return None
    if _INT_RE.fullmatch(value):
        return float(value)
    return sum(
        float(amount) * _UNIT_SECONDS[unit] for amount, unit in _DURATION_PART_RE.findall(value)
    )


_URL_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")


def _is_url(value: str) -> bool:
    if not value.isprintable() or _URL_UNSAFE.search(value):  # one C-level pass each
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 -- raises ValueError for a malformed port
    except ValueError:
        return False
    return bool(parts.scheme and parts.netloc and parts.hostname)


def _is_json(value: str) -> bool:
    try:
        json.loads(value)
    except (ValueError, RecursionError):
        return False
    return True


def _is_port(value: str) -> bool:
    return _PORT_RE.fullmatch(value) is not None and 1 <= int(value) <= 65535


_TYPE_CHECKS: dict[str, tuple[Callable[[str], bool], str]] = {
    "string": (lambda _value: True, "expected text"),
    "int": (lambda value: _INT_RE.fullmatch(value) is not None, "expected an integer"),
    "float": (lambda value: _FLOAT_RE.fullmatch(value) is not None, "expected a number"),
    "bool": (
        lambda value: value.lower() in _BOOLS,
        "expected a boolean (true/false, 1/0, yes/no, on/off)",
    ),
    "url": (_is_url, "expected a URL like scheme://host/path"),
    "email": (
        lambda value: _EMAIL_RE.fullmatch(value) is not None,
        "expected an email address like name@example.com",
    ),
    "port": (_is_port, "expected a port number from 1 to 65535"),
    "json": (_is_json, "expected valid JSON"),
    "duration": (
        lambda value: duration_seconds(value) is not None,
        "expected a duration like 30s, 5m, 1h30m, 250ms, 2d or a number of seconds",
    ),
    "path": (lambda value: value != "" and "\x00" not in value, "expected a path"),
}


def matches_type(type_name: str, value: str, choices: Collection[str] = ()) -> bool:
    """Return whether ``value`` is a well-formed ``type_name`` (``choices`` for an enum)."""
    if type_name == "enum":
        return value in choices
    check = _TYPE_CHECKS.get(type_name)
    return check is not None and check[0](value)


def check_value(spec: FieldSpec, value: str) -> tuple[str, str] | None:
    """Check one value against its field; return ``(rule, message)``, or None when valid.

    An empty value is valid unless the field is required (rule ``empty``). Otherwise the type
    is checked first (``type``, or ``enum``), then ``range`` and ``pattern``.
    """
    if value == "":
        return ("empty", "required but empty") if spec.required else None
    return (
        _type_problem(spec, value) or _range_problem(spec, value) or _pattern_problem(spec, value)
    )


def _type_problem(spec: FieldSpec, value: str) -> tuple[str, str] | None:
    if spec.type == "enum":
        if value in spec.choices:
            return None
        return "enum", f"expected one of: {', '.join(spec.choices)}"
    check = _TYPE_CHECKS.get(spec.type)
    if check is None:
        return "type", f"the schema's type {spec.type!r} is unknown"
    return None if check[0](value) else ("type", check[1])


def _measure(spec: FieldSpec, value: str) -> tuple[float, str]:
    if spec.type == "float":
        return float(value), ""
    if spec.type in _NUMERIC_TYPES:
        try:
            return int(value), ""
        except ValueError:  # more digits than int() converts; a float compares just as well
            return float(value), ""
    if spec.type == "duration":
        return duration_seconds(value) or 0.0, " seconds"
    return len(value), " characters long"


def _range_problem(spec: FieldSpec, value: str) -> tuple[str, str] | None:
    if spec.minimum is None and spec.maximum is None:
        return None
    measured, unit = _measure(spec, value)
    if spec.minimum is not None and measured < spec.minimum:
        return "range", f"must be at least {format_number(spec.minimum)}{unit}"
    if spec.maximum is not None and measured > spec.maximum:
        return "range", f"must be at most {format_number(spec.maximum)}{unit}"
    return None


def _pattern_problem(spec: FieldSpec, value: str) -> tuple[str, str] | None:
    if spec.pattern is None:
        return None
    try:
        matched = re.fullmatch(spec.pattern, value) is not None
    except re.error:
        return "pattern", "the schema's pattern is not a valid regular expression"
    return None if matched else ("pattern", f"must match the pattern {spec.pattern}")


def format_number(number: float) -> str:
    """Write a bound as a person would: ``65535`` rather than ``65535.0``."""
    number = float(number)  # a hand-made spec may hold an int
    if number.is_integer() and abs(number) < 1e16:
        return str(int(number))
    return repr(number)


def validate_values(
    values: Mapping[str, str],
    schema: Schema,
    *,
    service: str | None = None,
    unresolved: Mapping[str, str] | None = None,
    known_extra: Collection[str] = (),
) -> list[Finding]:
    """Check resolved ``values`` against ``schema``; return every finding, in a stable order.

    ``unresolved`` maps names whose references could not be expanded to a message (rule
    ``unresolved``; their values are not type-checked). Names outside the schema are
    ``unknown`` warnings unless listed in ``known_extra``. Order: schema order, then the other
    names sorted.
    """
    problems = unresolved or {}
    findings: list[Finding] = []
    for spec in schema.fields:
        finding = _field_finding(spec, values, problems, service)
        if finding is not None:
            findings.append(finding)
    declared = set(schema.names)
    known = frozenset(known_extra)
    for name in sorted((set(values) | set(problems)) - declared):
        if name in problems:
            findings.append(
                Finding(service, name, "unresolved", problems[name], value=values.get(name))
            )
        if name in values and name not in known:
            findings.append(
                Finding(
                    service,
                    name,
                    "unknown",
                    "not declared in the schema",
                    severity="warning",
                    value=values[name],
                )
            )
    return findings


def _field_finding(
    spec: FieldSpec,
    values: Mapping[str, str],
    unresolved: Mapping[str, str],
    service: str | None,
) -> Finding | None:
    value = values.get(spec.name)
    if spec.name in unresolved:
        return Finding(service, spec.name, "unresolved", unresolved[spec.name], value=value)
    if value is None:
        if spec.required and spec.default is None:
            return Finding(service, spec.name, "missing", "required but not set")
        return None
    problem = check_value(spec, value)
    if problem is None:
        return None
    return Finding(service, spec.name, problem[0], problem[1], value=value)
