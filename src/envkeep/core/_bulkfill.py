"""Filling most references of one service in a few C-level passes (see
`envkeep.core.references`).

Most values that hold a ``$`` are *plain*: literal text without braces, ``$$`` or NUL, and
references ``${NAME}`` or ``${head.NAME}`` with names of letters, digits, ``_`` and ``-``. All
the plain values of a service are checked with one regular expression over their joined text,
turned into one `str.format_map` format with `str.replace` (``${`` becomes ``{``, and each
distinct ``{head.NAME}`` becomes ``{head/NAME}``, which a format reads as one key), and filled
in rounds. A name still waiting for its expansion reads as a marker character in the scope, as
does any key the scope does not hold: a value whose fill shows the marker waits for the next
round, and what no round settles is left to the general walk, which words the errors.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["fill_plain"]

_MARK = "\x03"  # what a name that is not expanded yet reads as
_SEPARATOR = "\x00"  # between the values of one format
_NAME = r"[A-Za-z_][A-Za-z0-9_-]*"
_REF = rf"\$\{{{_NAME}(?:\.{_NAME})?\}}"
_LITERALS = r"[^${}\x03]*+"  # NUL too: it separates the values of the joined text
_PLAIN_RE = re.compile(rf"{_LITERALS}(?:(?:{_REF}|\$(?![{{$])){_LITERALS})*+")
_DOTTED_RE = re.compile(rf"\$\{{({_NAME}\.{_NAME})\}}")


class _Scope(dict[str, str]):
    """The values a format reads; a key it does not hold reads as the marker."""

    __slots__ = ()

    def __missing__(self, _key: str) -> str:
        return _MARK


def fill_plain(
    values: dict[str, str],
    names: list[str],
    pending: set[str],
    dotted: Callable[[str], tuple[str, str | None]],
) -> None:
    """Expand, in ``values``, the plain values among ``names`` whose references settle.

    ``pending`` holds the names not expanded yet (``names`` among them); each value filled here
    leaves it. ``dotted(inner)`` says what ``${inner}`` with a dot reads: its key in the format
    and its value, or None to leave it to the general walk (a dotted name of the same set, this
    service itself, another service's value not known in full yet).
    """
    joined = _SEPARATOR.join([values[name] for name in names])
    plain = names
    if joined.count(_SEPARATOR) != len(names) - 1 or not _PLAIN_RE.fullmatch(joined):
        plain = [name for name in names if _is_plain(values[name])]
        joined = _SEPARATOR.join([values[name] for name in plain])
    if not plain:
        return
    scope = _Scope(values)
    scope.update(dict.fromkeys(pending, _MARK))
    text = joined.replace("${", "{")
    if "." in joined:
        for inner in set(_DOTTED_RE.findall(joined)):
            key, found = dotted(inner)
            text = text.replace(f"{{{inner}}}", f"{{{key}}}")
            if found is not None:
                scope[key] = found
    _rounds(values, scope, pending, plain, text.split(_SEPARATOR))


def _is_plain(raw: str) -> bool:
    return _SEPARATOR not in raw and _PLAIN_RE.fullmatch(raw) is not None


def _rounds(
    values: dict[str, str],
    scope: _Scope,
    pending: set[str],
    names: list[str],
    formats: list[str],
) -> None:
    """Fill ``formats`` (of ``names``) from ``scope`` in rounds while some value settles."""
    while names:
        try:
            filled = _SEPARATOR.join(formats).format_map(scope).split(_SEPARATOR)
        except (ValueError, LookupError):  # not expected of a plain format: leave it all
            return
        if len(filled) != len(names):  # a value read held the separator
            return
        settled: dict[str, str] = {}
        waiting: list[str] = []
        again: list[str] = []
        for name, form, text in zip(names, formats, filled, strict=True):
            if _MARK in text:
                waiting.append(name)
                again.append(form)
            else:
                settled[name] = text
        if not settled:
            return
        values.update(settled)
        scope.update(settled)
        pending.difference_update(settled)
        names, formats = waiting, again
