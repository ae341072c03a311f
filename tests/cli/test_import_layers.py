"""`import .env .env.local`: several files layered into one batch, a later file's value
winning, as dotenv users layer them (`dotenvx run -f .env -f .env.local`)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep


def test_files_are_layered_into_one_batch_a_later_value_winning(
    envkeep: Envkeep, project: Path
) -> None:
    (project / ".env").write_text("PORT=3000\nHOST=localhost\n", encoding="utf-8")
    (project / ".env.local").write_text("PORT=4000\nDEBUG=1\n", encoding="utf-8")

    done = envkeep.ok("import", ".env", ".env.local", "--env", "dev")

    assert "3 new" in done.stderr
    listed = json.loads(envkeep.ok("list", "--env", "dev", "--reveal", "--json").stdout)
    assert {v["name"]: (v["value"], v["version"]) for v in listed} == {
        "PORT": ("4000", 1),  # one write: the local value, not a second version over the first
        "HOST": ("localhost", 1),
        "DEBUG": ("1", 1),
    }


def test_a_missing_later_file_writes_nothing(envkeep: Envkeep, project: Path) -> None:
    (project / ".env").write_text("PORT=3000\n", encoding="utf-8")

    refused = envkeep("import", ".env", ".env.missing", "--env", "dev")

    assert refused.code == 2, refused.describe()
    assert ".env.missing not found" in refused.stderr
    assert envkeep("get", "PORT", "--env", "dev").code != 0
