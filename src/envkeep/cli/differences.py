"""How `env diff` and `promote` show differences between two environments: a table whose
values are masked unless --reveal (one that does not resolve marked so), or JSON."""

from __future__ import annotations

from envkeep.cli import output
from envkeep.client.environment_diff import Difference

DIFF_MARKS = {"added": "+", "removed": "-", "changed": "~"}
PLAN_MARKS = {"removed": "+ new", "changed": "~ update"}  # source-only names are new in target


def print_differences(
    diffs: list[Difference],
    *,
    reveal: bool,
    json_out: bool,
    marks: dict[str, str] = DIFF_MARKS,
) -> None:
    """``diffs`` as a table, ``marks`` giving each change's sign, or as JSON."""
    if json_out:
        output.print_json(
            [
                {"scope": d.scope, "name": d.name, "change": d.change}
                | ({"from": d.source_value, "to": d.target_value} if reveal else {})
                | _unresolved_sides(d)
                for d in diffs
            ]
        )
        return
    rows = [
        (
            marks[d.change],
            d.scope,
            d.name,
            _cell(d.source_value, reveal=reveal, unresolved=d.source_unresolved),
            _cell(d.target_value, reveal=reveal, unresolved=d.target_unresolved),
        )
        for d in diffs
    ]
    output.print_table(("", "SCOPE", "NAME", "FROM", "TO"), rows, empty="no differences")


def _cell(value: str | None, *, reveal: bool, unresolved: bool) -> str:
    """A value as the diff shows it; one that does not resolve is its stored text, so marked."""
    shown = output.mask(value, reveal=reveal, absent="-")
    return f"{shown} (unresolved)" if unresolved else shown


def _unresolved_sides(d: Difference) -> dict[str, list[str]]:
    """The --json key for a name that does not resolve: on which side ("from", "to")."""
    sides = [
        side
        for side, broken in (("from", d.source_unresolved), ("to", d.target_unresolved))
        if broken
    ]
    return {"unresolved": sides} if sides else {}
