"""A schema compiled for validation: which fields need a closer look in a set of values.

Checking each field of each service with `check_value` costs several calls and often a regular
expression per value. A `CheckPlan` is built once per schema (`Schema.check_plan` caches it)
and groups the fields whose check is the same: one type and no range or pattern. `suspects`
then tests each group's values in bulk (`valuetypes.bulk_check`), and required fields with one
C-level pass, and returns only the fields that may have a finding: those of a failing test, the
unresolved ones, and the fields with a range or a pattern, which are always checked one by one.
A text field with no constraint is never looked at unless it is required.
"""

from __future__ import annotations

import itertools
import operator
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.core.valuetypes import TYPE_CHECKS, bulk_check, matches_type

if TYPE_CHECKING:
    from envkeep.core.schema import FieldSpec

__all__ = ["CheckPlan", "compile_plan"]


@dataclass(frozen=True, slots=True)
class _Group:
    """Fields of one type without constraints, tested together."""

    names: tuple[str, ...]
    positions: tuple[int, ...]
    type: str
    choices: tuple[str, ...]
    valid: Callable[[Sequence[str]], bool]

    def failing(self, values: Mapping[str, str], gathered: Sequence[str] = ()) -> list[int]:
        """The positions of fields whose (non-empty) value is not of the group's type.

        ``gathered``, when given, holds every field's value, none of them empty, and is known
        to fail `valid`.
        """
        if not gathered and self.valid(list(filter(None, map(values.get, self.names)))):
            return []
        pairs = zip(self.positions, map(values.get, self.names), strict=True)
        return [i for i, value in pairs if value and not self._one(value)]

    def _one(self, value: str) -> bool:
        return matches_type(self.type, value, self.choices)


@dataclass(frozen=True, slots=True)
class CheckPlan:
    """Which fields of a schema to check how; `suspects` reads it."""

    declared: frozenset[str]
    positions: dict[str, tuple[int, ...]]  # field name -> its positions in the schema
    required: tuple[str, ...]
    required_positions: tuple[int, ...]
    always: tuple[int, ...]  # fields with a range, a pattern or an unknown type
    groups: tuple[_Group, ...]
    # Every group's values, then those of the required fields in no group.
    gather: Callable[[Mapping[str, str]], Sequence[str]]
    slices: tuple[slice, ...]  # each group's part of what `gather` returns

    def suspects(self, values: Mapping[str, str], unresolved: Mapping[str, str]) -> list[int]:
        """The positions of the fields that may have a finding, in schema order.

        The others have none: set to a valid value, or unset and not required, or empty and not
        required. One C-level pass gathers every grouped and every required value; when all
        are set and not empty, no required field has a finding and each group tests its part.
        """
        found = list(self.always)
        try:
            gathered = self.gather(values)
        except KeyError:
            gathered = ()
        if gathered and all(gathered):
            for group, part in zip(
                self.groups, map(gathered.__getitem__, self.slices), strict=True
            ):
                if not group.valid(part):
                    found += group.failing(values, part)
        else:
            found += self._unset_required(values)
            for group in self.groups:
                found += group.failing(values)
        if unresolved:
            for name in unresolved.keys() & self.declared:
                found += self.positions[name]
        return sorted(set(found)) if found else found

    def _unset_required(self, values: Mapping[str, str]) -> list[int]:
        """The positions of required fields that are unset or empty."""
        pairs = zip(self.required_positions, map(values.get, self.required), strict=True)
        return [i for i, value in pairs if not value]


def compile_plan(fields: Sequence[FieldSpec]) -> CheckPlan:
    """Group ``fields`` (a schema's, in order) by the check their values need.

    The plan holds each name interned: the schemas of many services share most names (``PORT``,
    ``DATABASE_URL``), and checking them all then reads one string per name, not one per
    schema, which keeps what validation reads in the processor's cache.
    """
    names = [sys.intern(spec.name) for spec in fields]
    positions: dict[str, list[int]] = {}
    members: dict[tuple[str, tuple[str, ...]], list[int]] = {}
    always: list[int] = []
    for i, spec in enumerate(fields):
        positions.setdefault(names[i], []).append(i)
        bounds = (spec.minimum, spec.maximum, spec.pattern)
        constrained = bounds != (None, None, None)
        if constrained or (spec.type != "enum" and spec.type not in TYPE_CHECKS):
            always.append(i)
        elif spec.type != "string":
            members.setdefault((spec.type, spec.choices), []).append(i)
    required = [i for i, spec in enumerate(fields) if spec.required]
    grouped = [names[i] for found in members.values() for i in found]
    in_groups = {i for found in members.values() for i in found}  # gathered once, not twice
    sizes = [len(found) for found in members.values()]
    return CheckPlan(
        declared=frozenset(positions),
        positions={name: tuple(found) for name, found in positions.items()},
        required=tuple(names[i] for i in required),
        required_positions=tuple(required),
        always=tuple(always),
        groups=tuple(
            _Group(
                names=tuple(names[i] for i in found),
                positions=tuple(found),
                type=type_name,
                choices=choices,
                valid=bulk_check(type_name, choices),
            )
            for (type_name, choices), found in members.items()
        ),
        gather=_getter(grouped + [names[i] for i in required if i not in in_groups]),
        slices=tuple(
            slice(end - size, end)
            for end, size in zip(itertools.accumulate(sizes), sizes, strict=True)
        ),
    )


def _getter(names: Sequence[str]) -> Callable[[Mapping[str, str]], Sequence[str]]:
    """The values of ``names`` as one tuple (KeyError when one is not set)."""
    if len(names) > 1:
        return operator.itemgetter(*names)
    return lambda values: tuple(values[name] for name in names)
