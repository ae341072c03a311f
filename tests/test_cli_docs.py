"""docs/cli.md is generated from --help and must not go stale."""

from __future__ import annotations

from pathlib import Path

from envkeep.cli.docs import render_cli_docs

DOC = Path(__file__).resolve().parents[1] / "docs" / "cli.md"


def test_cli_reference_matches_the_commands_help() -> None:
    assert DOC.read_text(encoding="utf-8") == render_cli_docs(), (
        "docs/cli.md is stale: run make docs"
    )


def test_cli_reference_covers_every_command_and_example() -> None:
    text = render_cli_docs()
    for heading in ("## envkeep set", "## envkeep env clone", "## envkeep completion install"):
        assert heading in text
    assert text.count("Example: ") >= 20
