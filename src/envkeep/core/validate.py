"""Validation: check a service's values against its schema, never echoing a value.

``check_value`` answers for one value; ``validate_values`` checks a whole resolved set and
returns ``Finding`` s in a stable order (schema order, then the names outside the schema
sorted). Messages say which rule failed and what was expected: a value may be a secret, so it
travels only in ``Finding.value``, which the CLI masks unless asked to reveal it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.core.valuetypes import TYPE_CHECKS, duration_seconds, matches_type

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

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
    "unknown-service",
)

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

    # Written out, not generated: compiled (scripts/build_native.py), it costs a fraction of
    # the dataclass's own, which runs as Python; validation makes one per finding. The
    # signature is the generated one's.
    def __init__(  # noqa: PLR0917
        self,
        service: str | None,
        name: str,
        rule: str,
        message: str,
        severity: str = "error",
        value: str | None = None,
    ) -> None:
        setter = object.__setattr__  # frozen: as dataclasses' own __init__ sets fields
        setter(self, "service", service)
        setter(self, "name", name)
        setter(self, "rule", rule)
        setter(self, "message", message)
        setter(self, "severity", severity)
        setter(self, "value", value)


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
    check = TYPE_CHECKS.get(spec.type)
    if check is None:
        return "type", f"the schema's type {spec.type!r} is unknown"
    return None if check[0](value) else ("type", check[1])


# ``int | float``, not ``float``: compiled by mypyc (scripts/build_native.py), a ``float`` is a C
# double, and an int bound beyond 2**53 would no longer compare exactly.
def _measure(spec: FieldSpec, value: str) -> tuple[int | float, str]:
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
    own: Collection[str] | None = None,
    strays: Mapping[str, str] | None = None,
) -> list[Finding]:
    """Check resolved ``values`` against ``schema``; return every finding, in a stable order.

    ``unresolved`` maps names whose references could not be expanded to a message (rule
    ``unresolved``; their values are not type-checked). A name outside the schema is an
    ``unknown`` warning when the service set it itself: ``own`` lists those names (None: every
    name of ``values``; names it inherited, from the shared scope or a template, are not the
    schema's concern). ``strays`` maps names whose value refers to a service that does not
    exist, its fallback standing in, to a message (an ``unknown-service`` warning). Order:
    schema order, then the other names sorted, then the ``strays`` sorted.
    """
    problems = unresolved or {}
    fields = schema.fields
    plan = schema.check_plan
    findings = [
        finding
        for i in plan.suspects(values, problems)
        if (finding := _field_finding(fields[i], values, problems, service)) is not None
    ]
    declared = plan.declared
    # Most names are declared: a pass that keeps the few others beats copying them all to a set.
    # It asks `positions`, a dict of the same names, not the frozenset: a dict's entries are in
    # schema order, which is mostly the order of the names asked, so the pass reads them in
    # sequence; a set's slots are in hash order, and each name read another cold cache line.
    by_name = plan.positions
    if own is None:
        unknown = [name for name in values if name not in by_name]
    else:
        unknown = [name for name in own if name not in by_name and name in values]
    undeclared = set(unknown)  # the few names left, once each (``own`` may repeat one)
    stray = problems.keys() - declared if problems else set()
    for name in sorted(undeclared.union(stray)):
        if name in stray:
            findings.append(
                Finding(service, name, "unresolved", problems[name], value=values.get(name))
            )
        if name in undeclared:
            findings.append(_unknown(name, values[name], service))
    if strays:
        for name in sorted(strays):
            message = strays[name]
            value = values.get(name)
            findings.append(Finding(service, name, "unknown-service", message, "warning", value))
    return findings


def _unknown(name: str, value: str, service: str | None) -> Finding:
    return Finding(
        service, name, "unknown", "not declared in the schema", severity="warning", value=value
    )


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
