"""`import` into several scopes checks every scope's values before the first is written: a
value that could never be stored in a later scope's file left the earlier scopes imported."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep


def _api(envkeep: Envkeep) -> dict[str, str]:
    listed = envkeep.ok("list", "--env", "dev", "--service", "api", "--reveal", "--json")
    return {v["name"]: v["value"] for v in json.loads(listed.stdout) if v["scope"] == "api"}


def test_a_malformed_reference_in_a_later_scope_writes_no_scope(
    envkeep: Envkeep, project: Path
) -> None:
    (project / "services/api/.env").write_text("PORT=8080\n", encoding="utf-8")
    (project / "services/worker/.env").write_text("URL=http://${bad host}/\n", encoding="utf-8")

    refused = envkeep("import", "services/api/.env", "services/worker/.env", "--env", "dev")

    assert refused.code == 3, refused.describe()
    assert "the value of URL has a malformed reference" in refused.stderr
    assert "imported already" not in refused.stderr
    assert _api(envkeep) == {}
