"""`run --file` checks the schema's @default values it adds as it checks the file's: a default
expanded from ``${NAME}`` to a value its type refuses (PORT from P=abc) ran the command (exit
0), where the same value in the file was refused (exit 3)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

SCHEMA = "# @type=port @default=${P}\nPORT=\n"
SHOW = ("--", sys.executable, "-c", "import os; print('PORT=' + os.environ.get('PORT', '-'))")


def _api_with_schema(envkeep: Envkeep, project: Path) -> Path:
    api = project / "services" / "api"
    (api / ".env.example").write_text(SCHEMA, encoding="utf-8")
    envkeep.ok("service", "set", "api", "--schema", "services/api/.env.example")
    (api / ".env").write_text("A=1\n", encoding="utf-8")
    return api


def test_run_file_refuses_a_default_that_expands_to_a_value_its_type_refuses(
    envkeep: Envkeep, project: Path
) -> None:
    api = _api_with_schema(envkeep, project)

    refused = envkeep("run", "-f", ".env", *SHOW, cwd=api, env={"P": "abc", "PORT": None})
    skipped = envkeep(
        "run", "--no-validate", "-f", ".env", *SHOW, cwd=api, env={"P": "abc", "PORT": None}
    )
    good = envkeep("run", "-f", ".env", *SHOW, cwd=api, env={"P": "8080", "PORT": None})

    assert refused.code == 3, refused.describe()
    assert "in .env and api's schema @default: api.PORT: expected a port" in refused.stderr
    assert "PORT=" not in refused.stdout
    assert skipped.code == 0, skipped.describe()
    assert "PORT=abc" in skipped.stdout
    assert good.code == 0, good.describe()
    assert "PORT=8080" in good.stdout
