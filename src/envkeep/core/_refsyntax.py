"""The syntax of references in a value, ``${NAME}``, ``${service.NAME}`` and ``$${``, for
`envkeep.core.references`: how a value splits into literals and references, and the
`str.format_map` template that fills most values in one C-level call."""

from __future__ import annotations

import re
from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from envkeep.core.dotenv import NAME_PATTERN

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Mapping

__all__ = [
    "NAME_RE",
    "SERVICE_PATTERN",
    "SERVICE_RE",
    "Ref",
    "Reference",
    "Segment",
    "Target",
    "Template",
    "compile_template",
    "fill_templates",
    "find_references",
    "is_service_ref",
    "parse_value",
]

SERVICE_PATTERN: str = r"[a-z0-9][a-z0-9_-]*"

NAME_RE = re.compile(NAME_PATTERN)
SERVICE_RE = re.compile(SERVICE_PATTERN)
# One pass over a value: `$${` (escape), `${inner}` (reference) or `${` with no `}` (unterminated).
_TOKEN_RE = re.compile(r"\$(?:(\$\{)|\{([^}]*)(\}?))")

_SEPARATOR = "\x00"  # between the texts of one `fill_templates` call

# What a reference's text names: (service, name) across services, (None, name) in the same
# set, () when it is malformed.
Target = tuple[str | None, str] | tuple[()]


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


class Template(NamedTuple):
    """A value as a `str.format_map` format: ``{NAME}`` for a name of the same set (read from
    the set's values), ``{service/NAME}`` for one of another service (``/`` is in no name, so
    the two never clash)."""

    text: str
    local: frozenset[str]  # the names of the same set it reads
    cross: tuple[tuple[str, str, str], ...]  # (field, service, name) for each other service's


def compile_template(raw: str, target_of: Callable[[str], Target]) -> Template | None:
    """``raw`` as a `Template`; None when it holds an escape, a ``${`` without a ``}`` before
    the next one, a malformed reference or a dotted name of the same set (which a format
    would read as an attribute): `parse_value` and the general walk handle those.

    Without ``$$``, each ``${`` opens a reference closed by the first ``}`` after it, which is
    what `_TOKEN_RE` finds too.
    """
    if "$$" in raw:
        return None
    first, *rest = raw.split("${")
    text = [_escape(first)]
    local: list[str] = []
    cross: list[tuple[str, str, str]] = []
    for piece in rest:
        inner, close, literal = piece.partition("}")
        target = target_of(inner) if close else ()
        if not target or (target[0] is None and "." in target[1]):
            return None
        head, name = target
        if head is None:
            local.append(name)
            text += ("{", name, "}", _escape(literal))
        else:
            cross.append((f"{head}/{name}", head, name))
            text += ("{", head, "/", name, "}", _escape(literal))
    return Template("".join(text), frozenset(local), tuple(cross))


def fill_templates(batch: Mapping[str, str], scope: Mapping[str, str]) -> dict[str, str]:
    """Fill in each format text of ``batch`` (by name) from ``scope``: the ones whose names
    are all in ``scope``. One `str.format_map` fills them all when it can."""
    if not batch:
        return {}
    texts = list(batch.values())
    try:
        joined = _SEPARATOR.join(texts).format_map(scope).split(_SEPARATOR)
    except KeyError:
        joined = []
    if len(joined) == len(texts):  # else a value held the separator: one at a time
        return dict(zip(batch, joined, strict=True))
    filled: dict[str, str] = {}
    for name, text in batch.items():
        with suppress(KeyError):
            filled[name] = text.format_map(scope)
    return filled


def _escape(literal: str) -> str:
    if "{" in literal or "}" in literal:
        return literal.replace("{", "{{").replace("}", "}}")
    return literal
