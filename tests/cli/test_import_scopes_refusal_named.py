"""`import` into several scopes is one batch: a conflict in any scope names the scope and
writes nothing anywhere."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep


def test_a_conflict_in_a_later_scope_names_that_scope_and_writes_no_scope(
    envkeep: Envkeep, project: Path
) -> None:
    (project / ".env").write_text("LOG_LEVEL=info\n", encoding="utf-8")
    (project / "services/worker/.env").write_text("PORT=9000\n", encoding="utf-8")
    envkeep.ok("set", "PORT=1", "--env", "dev", "--service", "worker")

    refused = envkeep("import", ".env", "services/worker/.env", "--env", "dev")

    assert refused.code == 1, refused.describe()
    assert refused.err_lines == [
        "error: 1 already set to other values in 'dev': PORT (service worker)",
        "hint: nothing was written, in any scope; choose --on-conflict overwrite or skip",
    ]
    listed = envkeep.ok("list", "--env", "dev", "--json")
    assert "LOG_LEVEL" not in listed.stdout  # the shared scope's part was not written either


def test_a_single_scope_conflict_reads_as_before(envkeep: Envkeep, project: Path) -> None:
    (project / "services/worker/.env").write_text("PORT=9000\n", encoding="utf-8")
    envkeep.ok("set", "PORT=1", "--env", "dev", "--service", "worker")

    refused = envkeep("import", "services/worker/.env", "--env", "dev")

    assert refused.code == 1, refused.describe()
    assert "error: 1 already set to other values in 'dev': PORT" in refused.err_lines
    assert "note:" not in refused.stderr
