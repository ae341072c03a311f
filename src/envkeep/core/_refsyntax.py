"""The syntax of references in a value, ``${NAME}``, ``${service.NAME}`` and ``$${``, for
`envkeep.core.references`: how a value splits into literals and references."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.core.dotenv import NAME_PATTERN

if TYPE_CHECKING:
    from collections.abc import Collection

__all__ = [
    "NAME_RE",
    "SERVICE_PATTERN",
    "SERVICE_RE",
    "Ref",
    "Reference",
    "Segment",
    "find_references",
    "is_service_ref",
    "parse_value",
]

SERVICE_PATTERN: str = r"[a-z0-9][a-z0-9_-]*"

NAME_RE = re.compile(NAME_PATTERN)
SERVICE_RE = re.compile(SERVICE_PATTERN)
# One pass over a value: `$${` (escape), `${inner}` (reference) or `${` with no `}` (unterminated).
_TOKEN_RE = re.compile(r"\$(?:(\$\{)|\{([^}]*)(\}?))")


@dataclass(frozen=True)
class Reference:
    """One ``${...}`` reference: ``service`` is None for the same set."""

    service: str | None
    name: str

    def __str__(self) -> str:
        return self.name if self.service is None else f"{self.service}.{self.name}"


@dataclass(frozen=True, slots=True)
class Ref:
    inner: str  # the text between `${` and `}`


Segment = str | Ref


def parse_value(value: str) -> list[Segment] | None:
    """Split a value into literals and references; None if a `${` is unterminated."""
    segments: list[Segment] = []
    start = 0
    for match in _TOKEN_RE.finditer(value):
        if match.start() > start:
            segments.append(value[start : match.start()])
        escape, inner, close = match.groups()
        if escape:
            segments.append("${")
        elif not close:
            return None
        else:
            segments.append(Ref(inner))
        start = match.end()
    if start < len(value):
        segments.append(value[start:])
    return segments


def find_references(value: str, *, services: Collection[str] = ()) -> list[Reference]:
    """The well-formed references in ``value``, in order, each once.

    ``X.Y`` is a reference to service ``X`` only when ``X`` is in ``services``. Malformed or
    unterminated references are skipped here; `expand` reports them.
    """
    found: dict[Reference, None] = {}
    for match in _TOKEN_RE.finditer(value):
        inner, close = match.group(2), match.group(3)
        if inner is None or not close:
            continue
        head, dot, tail = inner.partition(".")
        if dot and head in services and is_service_ref(head, tail):
            found[Reference(head, tail)] = None
        elif NAME_RE.fullmatch(inner):
            found[Reference(None, inner)] = None
    return list(found)


def is_service_ref(head: str, tail: str) -> bool:
    """Whether ``head.tail`` is well-formed as ``service.NAME``."""
    return SERVICE_RE.fullmatch(head) is not None and NAME_RE.fullmatch(tail) is not None
