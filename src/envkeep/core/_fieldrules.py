"""Rules both forms of a schema share (`envkeep.core.envexample`, `envkeep.core.schematable`):
a type name, enum choices, a pattern, a bound, and a default its field accepts (templates' too,
`envkeep.core.templates`). Each raises `Malformed` (or, for the default, returns what is
wrong), whose message holds no value; the caller adds where it was."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

from envkeep.core._refsyntax import Ref, parse_value
from envkeep.core.fieldspec import TYPES
from envkeep.core.validate import check_value

if TYPE_CHECKING:
    from collections.abc import Sequence

    from envkeep.core.fieldspec import FieldSpec

__all__ = [
    "Malformed",
    "check_bounds",
    "checked_pattern",
    "default_problem",
    "finite",
    "parse_choices",
    "parse_type",
    "shorten",
]

_ENUM_RE = re.compile(r"enum\((?P<choices>.*)\)", re.DOTALL)
_CHOICE_RE = re.compile(r'[^\s,()"\x00-\x1f\x7f]+')


class Malformed(Exception):
    """An annotation or table entry that is not well-formed; the message holds no value."""


def parse_type(text: str) -> tuple[str, tuple[str, ...]]:
    enum = _ENUM_RE.fullmatch(text)
    if enum is not None:
        return "enum", parse_choices(enum["choices"].split(","))
    if text == "enum":
        raise Malformed("type enum needs its choices: enum(a,b,…)")
    if text.startswith("enum(") and ")" not in text:
        # `@type=enum(a, b)`: an annotation's value ends at the first space.
        raise Malformed("enum(…) is cut at a space: list the choices without spaces, enum(a,b)")
    if text not in TYPES:
        raise Malformed("needs a type name" if not text else f"unknown type {shorten(text)!r}")
    return text, ()


def parse_choices(items: Sequence[object]) -> tuple[str, ...]:
    choices = tuple(str(item) for item in items if isinstance(item, str))
    if not choices or len(choices) != len(items):
        raise Malformed("an enum needs a list of choices")
    if not all(_CHOICE_RE.fullmatch(choice) for choice in choices):
        raise Malformed("an enum choice must be non-empty, without spaces, commas or brackets")
    if len(set(choices)) != len(choices):
        raise Malformed("an enum lists a choice twice")
    return choices


def checked_pattern(text: str) -> str:
    if not text:
        raise Malformed("needs a regular expression")
    try:
        re.compile(text)
    except re.error as error:
        raise Malformed(f"invalid regular expression ({error.msg})") from None
    return text


def finite(number: float) -> float:
    if not math.isfinite(number):
        raise Malformed("is out of range")
    return number


def check_bounds(spec: FieldSpec) -> FieldSpec:
    if spec.minimum is not None and spec.maximum is not None and spec.minimum > spec.maximum:
        raise Malformed("the minimum is greater than the maximum")
    return spec


def default_problem(spec: FieldSpec) -> str | None:
    """What is wrong with ``spec``'s default by the field's own rules, as validation would say
    it (``enum: expected one of: a, b``; never the value); None when it passes or there is none.

    The check is validation's own (`check_value`): a default is the value a service sees when
    no layer sets the name, so one that breaks a rule fails ``validate`` and ``run`` everywhere.
    """
    if spec.default is None:
        return None
    seen = _as_seen(spec.default)
    if seen is None:
        return None
    problem = check_value(spec, seen)
    return None if problem is None else f"{problem[0]}: {problem[1]}"


def _as_seen(default: str) -> str | None:
    """``default`` as a service sees it (``$${`` is a literal ``${``); None when it holds a
    ``${...}`` reference, or an unterminated ``${``: those cannot be checked here, since a
    reference is expanded at resolution against values a schema cannot know (and resolution
    reports one that does not resolve), so the default is left unchecked."""
    segments = parse_value(default)
    if segments is None or any(isinstance(segment, Ref) for segment in segments):
        return None
    return "".join(segment for segment in segments if isinstance(segment, str))


def shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else f"{text[:limit]}…"
