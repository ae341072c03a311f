"""The syntax of references in a value, ``${NAME}``, ``${service.NAME}``, either with a
fallback (``${NAME:-text}``), and ``$${``, for `envkeep.core.references`: how a value splits
into literals and references, and the ``%``-format that fills most values
(`envkeep.core._fillscope`; a value with a fallback takes the general walk)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.core.dotenv import NAME_PATTERN

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

__all__ = [
    "NAME_RE",
    "NESTED_FALLBACK",
    "SERVICE_PATTERN",
    "SERVICE_RE",
    "Ref",
    "Reference",
    "Segment",
    "Target",
    "find_references",
    "is_service_ref",
    "parse_value",
    "percent_format",
    "percent_formats",
    "service_like_references",
    "split_fallback",
    "syntax_problem",
]

SERVICE_PATTERN: str = r"[a-z0-9][a-z0-9_-]*"

NAME_RE = re.compile(NAME_PATTERN)
SERVICE_RE = re.compile(SERVICE_PATTERN)
# One pass over a value: `$${` (escape), `${inner}` (reference) or `${` with no `}` (unterminated).
_TOKEN_RE = re.compile(r"\$(?:(\$\{)|\{([^}]*)(\}?))")

# A value that `percent_format` rewrites: literals without `}` or a `$` before `{`, and
# references to well-formed names.
_LITERAL = r"(?:[^$}]++|\$(?!\{))*+"
_PLAIN_VALUE_RE = re.compile(rf"{_LITERAL}(?:\$\{{{NAME_PATTERN}\}}{_LITERAL})*+")
_DOTTED_REF_RE = re.compile(r"\$\{[^.}]*\.")
_UNDOTTED_LITERALS_RE = re.compile(
    r"(?:[^$}.]++|\$(?!\{))*+(?:\$\{[^}]*+\}(?:[^$}.]++|\$(?!\{))*+)*+"
)
# The values most references across services hold, ``${svc.NAME}:8080``: `_PLAIN_VALUE_RE` with
# literals that hold no ``.`` and no ``%``, so that every dot is a reference's and nothing needs
# doubling. `percent_format` rewrites them after this one match; any other text takes its
# general path, which gives the same format for these.
_BARE_LITERAL = r"(?:[^$}.%]++|\$(?!\{))*+"
_BARE_VALUE_RE = re.compile(rf"{_BARE_LITERAL}(?:\$\{{{NAME_PATTERN}\}}{_BARE_LITERAL})*+")
_SEPARATOR = "\x00"  # between the values `percent_formats` rewrites at once

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


def split_fallback(inner: str) -> tuple[str, str | None] | None:
    """A reference's text as what it names and its fallback: ``NAME:-text`` gives
    ``("NAME", "text")``, the text that stands in when NAME is not set or empty; a reference
    without one gives ``(inner, None)``. No name holds ``:``, so the first ``:-`` is the mark.
    None for a fallback that opens a reference of its own: ``${A:-${B}}`` would end at the
    first ``}``, so it is malformed."""
    ref, mark, fallback = inner.partition(":-")
    if not mark:
        return inner, None
    return None if "${" in fallback else (ref, fallback)


def _names_something(inner: str) -> bool:
    """Whether a reference's text is well-formed: ``NAME`` or ``service.NAME``, with a
    well-formed fallback or none (`split_fallback`)."""
    split = split_fallback(inner)
    if split is None:
        return False
    ref = split[0]
    if NAME_RE.fullmatch(ref) is not None:
        return True
    head, _, tail = ref.partition(".")
    return is_service_ref(head, tail)


# What `syntax_problem` says of ``${A:-${B}}``: a fallback is literal text (`split_fallback`).
NESTED_FALLBACK = "a reference inside a fallback"


def syntax_problem(value: str) -> str | None:
    """What is wrong with the references of ``value`` as written (an unterminated ``${``, a
    reference inside a fallback, or ``${...}`` that names neither ``NAME`` nor
    ``service.NAME``), whatever they point to; None when nothing is. Never any of the value's
    text: it may be a secret."""
    segments = parse_value(value)
    if segments is None:
        return "an unterminated '${'"
    for segment in segments:
        if isinstance(segment, Ref) and not _names_something(segment.inner):
            if split_fallback(segment.inner) is None:
                return NESTED_FALLBACK
            return "a malformed reference"  # its text is part of the value: not shown
    return None


def find_references(value: str, *, services: Collection[str] = ()) -> list[Reference]:
    """The well-formed references in ``value``, in order, each once.

    ``X.Y`` is a reference to service ``X`` only when ``X`` is in ``services``. Malformed or
    unterminated references are skipped here; `expand` reports them.
    """
    found: dict[Reference, None] = {}
    for inner in _named(value):
        head, dot, tail = inner.partition(".")
        if dot and head in services and is_service_ref(head, tail):
            found[Reference(head, tail)] = None
        elif NAME_RE.fullmatch(inner):
            found[Reference(None, inner)] = None
    return list(found)


def service_like_references(value: str, services: Collection[str]) -> list[Reference]:
    """The references of ``value`` written as ``${head.NAME}`` (with a fallback or not) whose
    ``head`` could name a service and is none of ``services``, in order, each once.
    `find_references` reads them as dotted names of the same set; unless such a name is set,
    they are most likely a mistyped or removed service."""
    found: dict[Reference, None] = {}
    for inner in _named(value):
        head, dot, tail = inner.partition(".")
        if dot and head not in services and is_service_ref(head, tail):
            found[Reference(head, tail)] = None
    return list(found)


def _named(value: str) -> list[str]:
    """What each terminated reference of ``value`` names (its fallback left out), in order;
    one with a reference in its fallback is left out (`split_fallback`)."""
    named: list[str] = []
    for match in _TOKEN_RE.finditer(value):
        inner, close = match.group(2), match.group(3)
        if inner is None or not close:
            continue
        split = split_fallback(inner)
        if split is not None:
            named.append(split[0])
    return named


def is_service_ref(head: str, tail: str) -> bool:
    """Whether ``head.tail`` is well-formed as ``service.NAME``."""
    return SERVICE_RE.fullmatch(head) is not None and NAME_RE.fullmatch(tail) is not None


def percent_format(raw: str) -> str | None:
    """``raw`` as a ``%``-format that a mapping fills: ``%(NAME)s`` for ``${NAME}``, and
    ``%(head/rest)s`` for a dotted ``${head.rest}`` (some or all of its dots made ``/``), which
    the mapping classifies (``/`` is in no name, so a dotted reference never reads a name of the
    same set by mistake).

    None unless every ``${`` opens a well-formed name closed by ``}``, with no other ``}`` and
    no ``$$``: `parse_value` and the general walk handle escapes, unterminated and malformed
    references. Without ``$$``, each ``${`` opens a reference closed by the first ``}`` after
    it, which is what `_TOKEN_RE` finds too.
    """
    if "$$" in raw:
        return None
    if _BARE_VALUE_RE.fullmatch(raw) is not None:
        return raw.replace(".", "/").replace("${", "%(").replace("}", ")s")
    return _general_format(raw)


def percent_formats(raws: Sequence[str]) -> list[str | None]:
    """`percent_format` of each of ``raws``, in order.

    When every one is a bare value (most often: a service's own ``${svc.NAME}:8080`` values),
    one match and one rewrite of them all, joined, do the work of one per value. No reference
    spans the separator (no name holds it), so the joined text matches exactly when every
    value does.
    """
    if len(raws) > 1:
        joined = _SEPARATOR.join(raws)
        if (
            "$$" not in joined
            and joined.count(_SEPARATOR) == len(raws) - 1
            and _BARE_VALUE_RE.fullmatch(joined) is not None
        ):
            text = joined.replace(".", "/").replace("${", "%(").replace("}", ")s")
            return list(text.split(_SEPARATOR))
    return list(map(percent_format, raws))


def _general_format(raw: str) -> str | None:
    """`percent_format` of any ``raw`` without ``$$``."""
    if _PLAIN_VALUE_RE.fullmatch(raw) is None:
        return None
    text = raw.replace("%", "%%") if "%" in raw else raw
    if "." in text and _DOTTED_REF_RE.search(text):
        if _UNDOTTED_LITERALS_RE.fullmatch(text):  # every dot is in a reference
            text = text.replace(".", "/")
        else:
            first, *refs = text.split("${")
            text = "${".join([first, *map(_slashed, refs)])
    return text.replace("${", "%(").replace("}", ")s")


def _slashed(ref: str) -> str:
    """``name}literal`` with the name's dots made ``/``."""
    name, close, literal = ref.partition("}")
    return f"{name.replace('.', '/')}{close}{literal}"
