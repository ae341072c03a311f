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


def test_a_value_a_later_scopes_schema_refuses_writes_no_scope(
    envkeep: Envkeep, project: Path
) -> None:
    """A schema's refusal needs the store's values (what else the service sees), so it is
    checked with the whole batch planned: api's part is not written either."""
    with (project / "envkeep.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[services.worker.schema]\nWORKERS = "int"\n')
    (project / "services/api/.env").write_text("PORT=8080\n", encoding="utf-8")
    (project / "services/worker/.env").write_text("WORKERS=many\n", encoding="utf-8")

    refused = envkeep("import", "services/api/.env", "services/worker/.env", "--env", "dev")

    assert refused.code == 3, refused.describe()
    assert "WORKERS" in refused.stderr
    assert _api(envkeep) == {}
    passed = envkeep.ok("import", "services/api/.env", "--env", "dev")  # the rest is fine
    assert "imported into dev (service api): 1 new" in passed.stderr
