"""`validate --json` gives the warnings the text prints above its counts line: a schema
file's notes (a "required" in plain words or in a section header, a name declared twice) and
values still their example's placeholder. A CI job reading the JSON finds what a person reads:
the same warnings, as many as the counts line says, each with its file and line."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from .conftest import quick_ok

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

EXAMPLE = """\
# ========== Required ==========
ADMIN_PASSWORD=changeme
# @required
APP_NAME=shop

# ========== Optional ==========
STRIPE_KEY=<your-publishable-key> # required
REDIS_HOST=localhost
# Development
DEBUG=true
# Production
DEBUG=false
"""


def _imported_copy(envkeep: Envkeep, project: Path) -> None:
    api = project / "services" / "api"
    (api / ".env.example").write_text(EXAMPLE, encoding="utf-8")
    quick_ok(envkeep, "service", "set", "api", "--schema", "services/api/.env.example")
    (api / ".env").write_text(EXAMPLE, encoding="utf-8")  # cp .env.example .env
    quick_ok(envkeep, "import", "services/api/.env", "--env", "dev", "--service", "api")


def test_validate_json_gives_each_warning_the_text_prints_with_file_and_line(
    envkeep: Envkeep, project: Path
) -> None:
    _imported_copy(envkeep, project)

    result = envkeep("validate", "--env", "dev", "--service", "api", "--json")

    assert result.code == 0, result.describe()
    found = [
        (f["rule"], f["name"], f["file"], f["line"], f["severity"])
        for f in json.loads(result.stdout)
    ]
    schema = "services/api/.env.example"
    assert found == [
        ("plain-required", "ADMIN_PASSWORD", schema, 2, "warning"),
        ("plain-required", "STRIPE_KEY", schema, 7, "warning"),
        ("duplicate", "DEBUG", schema, 12, "warning"),
        ("placeholder", "ADMIN_PASSWORD", schema, 2, "warning"),
        ("placeholder", "STRIPE_KEY", schema, 7, "warning"),
    ]
    assert "changeme" not in result.stdout  # a value only with --reveal


def test_validate_json_counts_as_many_warnings_as_the_counts_line(
    envkeep: Envkeep, project: Path
) -> None:
    _imported_copy(envkeep, project)
    quick_ok(envkeep, "set", "UNDECLARED=1", "--env", "dev", "--service", "api")

    result = envkeep("validate", "--env", "dev", "--service", "api", "--json")

    assert result.code == 0, result.describe()
    items = json.loads(result.stdout)
    said = [line.removeprefix("warning: ") for line in result.err_lines[:-1]]
    counted = re.fullmatch(r"0 errors, (\d+) warnings in 1 service \(dev\)", result.err_lines[-1])
    assert counted is not None, result.describe()
    warnings = [item for item in items if item["severity"] == "warning"]
    assert len(warnings) == int(counted[1]) == 6, result.describe()  # 5 above + `unknown`
    assert [item["message"] for item in warnings if item["rule"] != "unknown"] == said


def test_validate_json_reveals_a_placeholder_value_only_when_asked(
    envkeep: Envkeep, project: Path
) -> None:
    _imported_copy(envkeep, project)

    result = envkeep("validate", "--env", "dev", "--service", "api", "--json", "--reveal")

    assert result.code == 0, result.describe()
    items = {(f["rule"], f["name"]): f for f in json.loads(result.stdout)}
    assert items["placeholder", "ADMIN_PASSWORD"]["value"] == "changeme"
    assert items["placeholder", "ADMIN_PASSWORD"]["layer"] == "service:api"
    assert items["duplicate", "DEBUG"]["value"] is None
