"""`schema show --json` lists a name declared twice at the declaration its annotations come
from, the `line` it gives: it was listed where the name was first declared, so the entry's
place and its line disagreed."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from .conftest import quick_ok

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

EXAMPLE = "services/api/.env.example"


def test_schema_show_json_lists_a_repeated_name_in_the_order_of_its_line(
    envkeep: Envkeep, project: Path
) -> None:
    (project / EXAMPLE).write_text("# @type=port\nPORT=8080\n", encoding="utf-8")
    quick_ok(envkeep, "service", "set", "api", "--schema", EXAMPLE)
    (project / EXAMPLE).write_text(
        "DEBUG=true\n# @type=port\nPORT=8080\n# @type=bool\nDEBUG=false\n", encoding="utf-8"
    )

    shown = quick_ok(envkeep, "schema", "show", "api", "--json")

    listed = [(f["name"], f["line"]) for f in json.loads(shown.stdout)]
    assert listed == [("PORT", 3), ("DEBUG", 5)]
