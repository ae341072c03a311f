"""Rules both forms of a schema share (`envkeep.core.envexample`, `envkeep.core.schematable`):
a type name, enum choices, a pattern, a bound. Each raises `Malformed`, whose message holds no
value; the caller adds where it was."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

from envkeep.core.fieldspec import TYPES

if TYPE_CHECKING:
    from collections.abc import Sequence

    from envkeep.core.fieldspec import FieldSpec

__all__ = [
    "Malformed",
    "check_bounds",
    "checked_pattern",
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


def shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else f"{text[:limit]}…"
