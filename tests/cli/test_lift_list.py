"""`list` marks a service's override that holds the shared value (redundant: `share` removes
it), in its table, its --json (``same_as_shared``) and a line saying how to remove it."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from .conftest import quick_ok

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep


def scope_cells(listed: str) -> set[tuple[str, str]]:
    """The table's (NAME, SCOPE) cells."""
    lines = listed.splitlines()[1:]
    return {(m[1], m[2]) for m in map(ROW.match, lines) if m is not None}


ROW = re.compile(r"(\S+)\s+\S+\s+(.*?)\s+\d+\s*$")  # NAME VALUE SCOPE… VERSION


def test_list_marks_an_override_holding_the_shared_value_and_says_how_to_remove_it(
    envkeep: Envkeep, seeded: Path
) -> None:
    quick_ok(envkeep, "set", "LOG_LEVEL=info", "-e", "dev", "-s", "api")  # shared holds info

    listed = envkeep.ok("list", "--env", "dev", "--service", "api")

    assert scope_cells(listed.stdout) == {
        ("DATABASE_URL", "shared"),
        ("LOG_LEVEL", "shared (overridden by api, same value)"),
        ("PORT", "shared (overridden by api)"),  # 8080 over the shared 3000: no mark
        ("LOG_LEVEL", "api (overrides shared with the same value)"),
        ("PORT", "api"),
    }
    assert (
        "LOG_LEVEL: api holds the shared value; remove the override with: envkeep lift"
        " LOG_LEVEL --from - --env dev"
    ) in listed.stderr


def test_list_json_says_which_override_holds_the_shared_value(
    envkeep: Envkeep, seeded: Path
) -> None:
    quick_ok(envkeep, "set", "LOG_LEVEL=info", "-e", "dev", "-s", "api")

    listed = json.loads(envkeep.ok("list", "-e", "dev", "-s", "api", "--json").stdout)

    same = {(v["scope"], v["name"]): v["same_as_shared"] for v in listed}
    assert same == {
        ("shared", "DATABASE_URL"): False,
        ("shared", "LOG_LEVEL"): False,
        ("shared", "PORT"): False,
        ("api", "LOG_LEVEL"): True,
        ("api", "PORT"): False,
    }


def test_many_redundant_overrides_are_counted_past_five_names(
    envkeep: Envkeep, project: Path
) -> None:
    names = [f"N{i:02d}" for i in range(12)]
    quick_ok(envkeep, "set", *(f"{n}=same" for n in names), "-e", "dev")
    quick_ok(envkeep, "set", *(f"{n}=same" for n in names), "-e", "dev", "-s", "api")

    listed = envkeep.ok("list", "--env", "dev", "--service", "api")

    assert (
        "N00, N01, N02, N03, N04 and 7 more: api holds the shared value; every one, with the"
        " commands that remove them: envkeep lift --suggest --env dev"
    ) in listed.err_lines
    assert "N11" not in listed.stderr
