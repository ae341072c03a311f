"""`validate --json` names, for a placeholder kept as a value, the line its example is
written on: with a name declared twice, the later line (the example dotenv readers load), not
the first declaration's."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from .conftest import quick_ok

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

EXAMPLE = "# @secret\nAPI_KEY=sk-live\n\nAPI_KEY=<your-key>\n"


def test_a_placeholder_item_names_the_line_its_example_is_on(
    envkeep: Envkeep, project: Path
) -> None:
    api = project / "services" / "api"
    (api / ".env.example").write_text(EXAMPLE, encoding="utf-8")
    quick_ok(envkeep, "service", "set", "api", "--schema", "services/api/.env.example")
    quick_ok(envkeep, "set", "API_KEY=<your-key>", "--env", "dev", "--service", "api")

    result = envkeep("validate", "--env", "dev", "--service", "api", "--json")

    assert result.code == 0, result.describe()
    found = [(f["rule"], f["name"], f["line"]) for f in json.loads(result.stdout)]
    assert found == [("duplicate", "API_KEY", 4), ("placeholder", "API_KEY", 4)]
