"""`import` of several files says in each scope's done line which files it took, so the user
sees that api's file went to api and where a file outside every service's directory went."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep


def test_each_done_line_names_the_files_its_scope_took(envkeep: Envkeep, project: Path) -> None:
    (project / ".env").write_text("LOG_LEVEL=info\n", encoding="utf-8")
    (project / "services/api/.env").write_text("PORT=8080\n", encoding="utf-8")
    (project / "services/api/.env.local").write_text("DEBUG=1\n", encoding="utf-8")

    done = envkeep.ok(
        "import", "services/api/.env", ".env", "services/api/.env.local", "--env", "dev"
    )

    assert (
        "imported into dev (service api): 2 new, 0 overwritten, 0 unchanged, 0 skipped"
        " (from services/api/.env, services/api/.env.local)"
    ) in done.err_lines
    assert (
        "imported into dev (shared): 1 new, 0 overwritten, 0 unchanged, 0 skipped (from .env)"
    ) in done.err_lines


def test_one_file_done_line_reads_as_before(envkeep: Envkeep, project: Path) -> None:
    (project / "services/api/.env").write_text("PORT=8080\n", encoding="utf-8")

    done = envkeep.ok("import", "services/api/.env", "--env", "dev")

    assert (
        "imported into dev (service api): 1 new, 0 overwritten, 0 unchanged, 0 skipped"
        in done.err_lines
    )


def test_stdin_is_named_as_stdin_in_its_done_line(envkeep: Envkeep, project: Path) -> None:
    (project / "services/api/.env").write_text("PORT=8080\n", encoding="utf-8")

    done = envkeep.ok("import", "-", "services/api/.env", "--env", "dev", stdin="A=1\n")

    assert (
        "imported into dev (shared): 1 new, 0 overwritten, 0 unchanged, 0 skipped (from stdin)"
    ) in done.err_lines
