"""`import` into several scopes: the scope a refusal stops at is named in the error, and the
note says what was written before it and what was not."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep


def test_a_conflict_in_a_later_scope_names_that_scope_and_what_was_not_written(
    envkeep: Envkeep, project: Path
) -> None:
    (project / ".env").write_text("LOG_LEVEL=info\n", encoding="utf-8")
    (project / "services/worker/.env").write_text("PORT=9000\n", encoding="utf-8")
    envkeep.ok("set", "PORT=1", "--env", "dev", "--service", "worker")

    refused = envkeep("import", ".env", "services/worker/.env", "--env", "dev")

    assert refused.code == 1, refused.describe()
    assert (
        "error: dev (service worker): 1 already set to other values in 'dev': PORT"
        in refused.err_lines
    )
    assert (
        "note: dev (shared) imported already (each scope is its own batch); nothing was written"
        " to dev (service worker) or the scopes after it."
    ) in refused.stderr


def test_a_single_scope_conflict_reads_as_before(envkeep: Envkeep, project: Path) -> None:
    (project / "services/worker/.env").write_text("PORT=9000\n", encoding="utf-8")
    envkeep.ok("set", "PORT=1", "--env", "dev", "--service", "worker")

    refused = envkeep("import", "services/worker/.env", "--env", "dev")

    assert refused.code == 1, refused.describe()
    assert "error: 1 already set to other values in 'dev': PORT" in refused.err_lines
    assert "note:" not in refused.stderr
