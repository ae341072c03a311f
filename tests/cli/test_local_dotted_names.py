"""A personal override written as ``api.PORT=1`` in `.envkeep/local.env`: names may hold dots,
so it sets a variable named ``api.PORT`` in every service and api's PORT stays as it was. The
file has no per-service lines, and a note says so rather than leave the override unnoticed."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

NOTE = (
    "note: .envkeep/local.env sets api.PORT (not api's PORT): a name may hold a dot, so each is"
    " a variable of that whole name, in every service; the file has no per-service lines"
)


def _local(project: Path, text: str) -> None:
    (project / ".envkeep").mkdir(exist_ok=True)
    (project / ".envkeep" / "local.env").write_text(text, encoding="utf-8")


def test_a_local_line_named_like_service_dot_name_is_noted(envkeep: Envkeep, seeded: Path) -> None:
    _local(seeded, "api.PORT=1\n")

    result = envkeep.ok("get", "PORT", "--env", "dev", "--service", "api")

    assert result.stdout == "8080\n"  # api's own PORT, untouched
    assert NOTE in result.err_lines, result.describe()


def test_a_dotted_name_of_no_service_gets_no_note(envkeep: Envkeep, seeded: Path) -> None:
    _local(seeded, "log.level=debug\n")

    result = envkeep.ok("get", "PORT", "--env", "dev", "--service", "api")

    assert "per-service" not in result.stderr, result.describe()
