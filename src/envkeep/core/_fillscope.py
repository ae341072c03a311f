"""The fast path of reference expansion (see `envkeep.core.references`): each value as a
``%``-format (`envkeep.core._refsyntax.percent_format`), filled from a `FillScope` in one
C-level call per service.

A `FillScope` holds every value of the set that needs no expansion; a field it lacks (a value
still to expand, or another service's) is worked out on demand by ``demand`` and kept. When
``demand`` cannot give a value (a cycle, a dangling or malformed reference) it raises
`Unfilled`, and the values that read it are left to the general walk, which words the error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

__all__ = ["FillScope", "Formats", "Unfilled", "fill_formats"]

_SEPARATOR = "\x00"  # between the formats of one `fill_formats` call


class Unfilled(Exception):
    """A field the fast path cannot fill: the general walk decides what the value is."""


class Formats:
    """Each raw value's format (None: the walk's), compiled on first use: one at a time by
    ``compile``, or those a service has not seen yet all at once by ``compile_many``."""

    __slots__ = ("_compile", "_compile_many", "_known")

    def __init__(
        self,
        compile_format: Callable[[str], str | None],
        compile_many: Callable[[Sequence[str]], list[str | None]],
    ) -> None:
        self._known: dict[str, str | None] = {}  # a plain dict: `in` and `[]` stay C-level
        self._compile = compile_format
        self._compile_many = compile_many

    def one(self, raw: str) -> str | None:
        """The format of ``raw``."""
        known = self._known
        if raw not in known:
            known[raw] = self._compile(raw)
        return known[raw]

    def of(self, raws: Sequence[str]) -> list[str | None]:
        """The format of each of ``raws``, in order."""
        known = self._known
        fresh = [raw for raw in raws if raw not in known]
        if fresh:
            known.update(zip(fresh, self._compile_many(fresh), strict=True))
        return [known[raw] for raw in raws]


class FillScope(dict[str, str]):
    """The mapping formats are filled from; ``demand(scope, field)`` gives a missing field.

    ``raw`` is the set's unexpanded values and ``busy`` the names being filled right now (one
    inside another), so that ``demand`` can tell a cycle.
    """

    __slots__ = ("busy", "demand", "raw", "service")

    def __init__(
        self,
        known: Mapping[str, str],
        raw: Mapping[str, str],
        service: str | None,
        demand: Callable[[FillScope, str], str],
    ) -> None:
        super().__init__(known)
        self.raw = raw
        self.service = service
        self.busy: set[str] = set()
        self.demand = demand

    def __missing__(self, field: str) -> str:
        value = self.demand(self, field)
        self[field] = value
        return value


def fill_formats(
    names: Sequence[str], formats: Sequence[str], scope: FillScope, into: dict[str, str]
) -> list[str]:
    """Fill each format (of the name at the same index) from ``scope`` and set the name's value
    in ``into``; return the names whose format could not be filled, in order. One ``%`` fills
    them all when nothing is `Unfilled` and no value holds the separator; else one at a time.

    The values go straight into ``into`` (the service's values): a dict of them, merged in
    afterwards, cost a table built, copied and freed for every service."""
    try:
        filled = (_SEPARATOR.join(formats) % scope).split(_SEPARATOR)
    except Unfilled:
        filled = []
    if len(filled) == len(names):
        for i, name in enumerate(names):  # compiled: no zip tuples
            into[name] = filled[i]
        return []
    unfilled: list[str] = []
    for name, text in zip(names, formats, strict=True):
        try:
            into[name] = scope[name] if name in scope else text % scope
        except Unfilled:
            unfilled.append(name)
    return unfilled
