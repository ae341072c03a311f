"""`import -` reads stdin (dotenv, or the --format given), as `export -o -` writes stdout."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep


def _stored(envkeep: Envkeep, service: str) -> dict[str, str]:
    listed = json.loads(envkeep.ok("list", "--reveal", "--json", "--service", service).stdout)
    return {v["name"]: v["value"] for v in listed if v["scope"] == service}


def test_import_dash_reads_stdin_as_dotenv_or_the_format_given(
    envkeep: Envkeep, project: Path
) -> None:
    envkeep.ok("import", "-", "--service", "api", stdin="A=1\nB='two words'\n")
    envkeep.ok("import", "-", "--service", "worker", "--format", "json", stdin='{"C": "3"}')

    assert _stored(envkeep, "api") == {"A": "1", "B": "two words"}
    assert _stored(envkeep, "worker") == {"C": "3"}
    assert not (project / "-").exists()
