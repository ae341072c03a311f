"""Three-way merge of dotenv texts: the layout line by line, the values name by name.

Git merges text line by line, so two branches that change neighbouring values (``A`` and
``B`` on adjacent lines) conflict, although nothing in a dotenv file depends on its neighbours.
Here each text is cut into units: an entry (its whole line, or lines for a quoted value that
spans several) or a line that is no entry (a comment, a blank line). Then:

- **the layout**: the units are merged as git's diff3 merges lines, comparing an entry by its
  shape, the unit with its raw value left out (``export A=<value>  # note``), so a changed value
  is no change to the layout. Both sides inserting at the same place (two new variables at the
  end) keeps both, ours first; units only added around a region the other side changed are
  kept; neighbouring units each changed on one side merge; any other region changed
  differently by both is a conflict;
- **the values**: each entry of the merged layout (the k-th occurrence of a name) takes the raw
  value of the side that changed it from the base; both changing it differently is a conflict,
  and so is one side deleting a variable whose value the other changed.

A final newline missing on a side is merged as a flag, so an entry appended after a last line
without one is no conflict. The result is text (values as written, quotes included), or the
names in conflict: never a text with conflict markers, which could leak values into a file.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from envkeep.core.dotenv import scan_dotenv

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["DotenvMerge", "merge_dotenv"]

_HOLE = "\x00"  # where a unit's raw value goes: a dotenv text holds no NUL (scan_dotenv)
_T = TypeVar("_T")


@dataclass(frozen=True, repr=False)
class DotenvMerge:
    """A merge's outcome: the merged ``text`` when ``conflicts`` is empty, else the names (or
    comment lines) that both sides changed differently. The repr is masked."""

    text: str | None
    conflicts: tuple[str, ...]

    def __repr__(self) -> str:
        return f"DotenvMerge(text=<redacted>, conflicts={self.conflicts!r})"


@dataclass(frozen=True)
class _Unit:
    """One entry (``name`` set, ``shape`` with a hole for its raw value) or another line."""

    shape: str
    name: str | None = None


@dataclass(frozen=True)
class _Side:
    units: tuple[_Unit, ...]
    values: dict[tuple[str, int], str]  # raw value by (name, occurrence)
    final_newline: bool


def merge_dotenv(base: str, ours: str, theirs: str) -> DotenvMerge:
    """Merge ``ours`` and ``theirs``, two edits of dotenv text ``base`` (see the module doc).

    ``ParseError`` if one of them is not valid dotenv.
    """
    sides = (_cut(base, "base"), _cut(ours, "ours"), _cut(theirs, "theirs"))
    layout, conflicts = _merge_layout(*(side.units for side in sides))
    values, value_conflicts = _merge_values(layout, *sides)
    conflicts += value_conflicts
    if conflicts:
        return DotenvMerge(None, tuple(dict.fromkeys(conflicts)))
    pieces = (
        unit.shape.replace(_HOLE, value, 1) for unit, value in zip(layout, values, strict=True)
    )
    text = "".join(pieces)
    _, final_newline = _three_way(*(side.final_newline for side in sides))
    if not final_newline and text.endswith("\n"):
        text = text.removesuffix("\n").removesuffix("\r")
    return DotenvMerge(text, ())


# --- cutting a text into units -----------------------------------------------------------------


def _cut(text: str, source: str) -> _Side:
    final_newline = text == "" or text.endswith("\n")
    if not final_newline:
        text += "\n"
    units: list[_Unit] = []
    values: dict[tuple[str, int], str] = {}
    seen: dict[str, int] = {}
    position = 0
    for entry in scan_dotenv(text, source=source):
        start = text.rfind("\n", 0, entry.value_start) + 1
        end = text.find("\n", entry.value_end) + 1
        units += [_Unit(line) for line in _lines(text[position:start])]
        shape = text[start : entry.value_start] + _HOLE + text[entry.value_end : end]
        units.append(_Unit(shape, entry.name))
        occurrence = seen[entry.name] = seen.get(entry.name, -1) + 1
        values[entry.name, occurrence] = text[entry.value_start : entry.value_end]
        position = end
    units += [_Unit(line) for line in _lines(text[position:])]
    return _Side(tuple(units), values, final_newline)


def _lines(text: str) -> list[str]:
    return re.findall(r"[^\n]*\n|[^\n]+$", text)


# --- the layout: diff3 over units --------------------------------------------------------------


def _merge_layout(
    base: Sequence[_Unit], ours: Sequence[_Unit], theirs: Sequence[_Unit]
) -> tuple[list[_Unit], list[str]]:
    """diff3 (Khanna, Kunal and Pierce's formulation, as git's): stable units where the base
    matches both sides, and between them chunks taken from the side that changed."""
    in_ours, in_theirs = _matches(base, ours), _matches(base, theirs)
    merged: list[_Unit] = []
    conflicts: list[str] = []
    b = o = t = 0
    while True:
        if in_ours.get(b) == o and in_theirs.get(b) == t and b < len(base):
            merged.append(base[b])
            b, o, t = b + 1, o + 1, t + 1
            continue
        stable = next((i for i in range(b, len(base)) if i in in_ours and i in in_theirs), None)
        b_end, o_end, t_end = (
            (len(base), len(ours), len(theirs))
            if stable is None
            else (stable, in_ours[stable], in_theirs[stable])
        )
        chunk, conflict = _merge_chunk(base[b:b_end], ours[o:o_end], theirs[t:t_end])
        merged += chunk
        conflicts += conflict
        if stable is None:
            return merged, conflicts
        b, o, t = b_end, o_end, t_end


def _matches(base: Sequence[_Unit], side: Sequence[_Unit]) -> dict[int, int]:
    """The index in ``side`` of each base unit left unchanged there."""
    matcher = difflib.SequenceMatcher(None, base, side, autojunk=False)
    return {
        block.a + i: block.b + i
        for block in matcher.get_matching_blocks()
        for i in range(block.size)
    }


def _merge_chunk(
    base: Sequence[_Unit], ours: Sequence[_Unit], theirs: Sequence[_Unit]
) -> tuple[list[_Unit], list[str]]:
    if list(ours) == list(theirs) or list(theirs) == list(base):
        return list(ours), []
    if list(ours) == list(base):
        return list(theirs), []
    if not base:  # both inserted here: keep both, ours first (a unit in both once)
        return [*ours, *(unit for unit in theirs if unit not in ours)], []
    around = _inserted_around(base, ours, theirs) or _inserted_around(base, theirs, ours)
    if around is not None:
        return around, []
    if len(base) == len(ours) == len(theirs):  # neighbouring lines, each edited on one side
        lines = list(zip(base, ours, theirs, strict=True))
        picks = [_three_way(*units) for units in lines]
        if all(merged for merged, _ in picks):
            return [unit for _, unit in picks], []
        failed = [units for units, (merged, _) in zip(lines, picks, strict=True) if not merged]
        base, ours, theirs = (list(side) for side in zip(*failed, strict=True))
    names = [unit.name for unit in (*base, *ours, *theirs) if unit.name is not None]
    return [], names or ["the comment lines near " + _describe(base[0])]


def _inserted_around(
    base: Sequence[_Unit], changed: Sequence[_Unit], inserting: Sequence[_Unit]
) -> list[_Unit] | None:
    """When ``inserting`` only added units before or after the base's (a variable added after
    one the other side deleted or edited), the other side's change with those units around it."""
    size = len(base)
    if len(inserting) <= size:
        return None
    if list(inserting[:size]) == list(base):
        return [*changed, *inserting[size:]]
    if list(inserting[-size:]) == list(base):
        return [*inserting[:-size], *changed]
    return None


def _describe(unit: _Unit) -> str:
    text = unit.shape.strip()
    return repr(text[:40]) if text else "a blank line"


# --- the values --------------------------------------------------------------------------------


def _merge_values(
    layout: Sequence[_Unit], base: _Side, ours: _Side, theirs: _Side
) -> tuple[list[str], list[str]]:
    """Each entry's raw value in the merged layout (an empty string for other units), and the
    names both sides changed differently or one deleted while the other changed."""
    values: list[str] = []
    conflicts: list[str] = []
    kept: set[tuple[str, int]] = set()
    seen: dict[str, int] = {}
    for unit in layout:
        if unit.name is None:
            values.append("")
            continue
        key = (unit.name, seen.setdefault(unit.name, -1) + 1)
        seen[unit.name] = key[1]
        kept.add(key)
        merged, value = _three_way(*(side.values.get(key) for side in (base, ours, theirs)))
        if not merged or value is None:
            conflicts.append(unit.name)
        values.append(value or "")
    gone = (base.values.keys() | ours.values.keys() | theirs.values.keys()) - kept
    for key in sorted(gone):
        before = base.values.get(key)
        if any(side.values.get(key, before) != before for side in (ours, theirs)):
            conflicts.append(key[0])  # deleted on one side, changed (or added) on the other
    conflicts += _repeated_clashes(base, ours, theirs)
    return values, list(dict.fromkeys(conflicts))


def _repeated_clashes(base: _Side, ours: _Side, theirs: _Side) -> list[str]:
    """Names given more than once on a side (the last one wins where the file is read) that
    both sides changed differently: merged occurrence by occurrence, one side's change could be
    kept in an occurrence the other side's makes no longer the last."""
    sides = (base, ours, theirs)
    repeated = sorted({name for side in sides for name, occurrence in side.values if occurrence})
    clashes = []
    for name in repeated:
        before, mine, other = (
            [v for (n, _o), v in sorted(side.values.items()) if n == name] for side in sides
        )
        if before not in (mine, other) and mine != other:
            clashes.append(name)
    return clashes


def _three_way(base: _T, ours: _T, theirs: _T) -> tuple[bool, _T]:
    """The side that changed (ours when neither did or both alike); False: both changed
    differently (the value returned is then ours, not to be used)."""
    if theirs in (ours, base):
        return True, ours
    if ours == base:
        return True, theirs
    return False, ours
