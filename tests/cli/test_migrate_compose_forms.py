"""A `.env` written for docker compose may hold `${NAME:?message}` or `${NAME:+text}`: `import`
refuses it with the file, the line and what to write instead, and `set` says the same."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep


def _shared(envkeep: Envkeep) -> dict[str, str]:
    listed = envkeep.ok("list", "--env", "dev", "--service", "-", "--reveal", "--json")
    return {v["name"]: v["value"] for v in json.loads(listed.stdout)}


def test_import_refuses_compose_required_form_naming_file_and_line(
    envkeep: Envkeep, project: Path
) -> None:
    (project / "compose.env").write_text(
        "LOG_LEVEL=info\nDATABASE_URL=postgres://${DB_HOST:?set the db host}/shop\n",
        encoding="utf-8",
    )

    refused = envkeep("import", "compose.env", "--env", "dev")

    assert refused.code == 3, refused.describe()
    assert "compose.env:2: the value of DATABASE_URL uses ${NAME:?message}" in refused.stderr
    assert "mark NAME @required" in refused.stderr
    assert "set the db host" not in refused.stderr
    assert _shared(envkeep) == {}


def test_single_quoted_or_escaped_compose_forms_are_imported_as_text(
    envkeep: Envkeep, project: Path
) -> None:
    (project / "text.env").write_text("A='${X:?y}'\nB=\"\\${X:+y}\"\n", encoding="utf-8")

    envkeep.ok("import", "text.env", "--env", "dev")

    assert _shared(envkeep) == {"A": "$${X:?y}", "B": "$${X:+y}"}


def test_set_says_what_a_compose_alternative_form_means_and_what_to_write(
    envkeep: Envkeep, project: Path
) -> None:
    refused = envkeep("set", "FLAG=${DEBUG:+--verbose}", "--env", "dev")

    assert refused.code == 3, refused.describe()
    assert "FLAG uses ${NAME:+text} (the text where NAME is set and not empty" in refused.stderr
    assert "hint: write the value each environment needs" in refused.stderr
