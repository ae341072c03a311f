"""`template create --from FILE` refuses a file that declares a name twice, naming the file's
line, and writes no template: its later value would have been every service's default
without a word."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep


def test_template_create_refuses_a_file_declaring_a_name_twice(
    envkeep: Envkeep, project: Path
) -> None:
    (project / "logging.env").write_text("LOG_LEVEL=debug\nLOG_LEVEL=info\n", encoding="utf-8")

    result = envkeep("template", "create", "logging", "--from", "logging.env")

    assert result.code != 0, result.describe()
    assert "logging.env:2: 'LOG_LEVEL' is declared twice" in result.stderr, result.describe()
    assert not (project / ".envkeep" / "templates" / "logging.env").exists()
