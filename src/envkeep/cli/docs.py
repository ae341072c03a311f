"""docs/cli.md, generated from the commands' own --help (a test fails when it is stale).

Regenerate with: make docs
"""

from __future__ import annotations

from typing import Any

HEADER = """# envkeep command reference

Generated from `envkeep … --help` by `make docs`; do not edit by hand (a test compares).
"""


def _commands(command: Any, path: tuple[str, ...]) -> list[tuple[str, ...]]:
    found = [path]
    for name in sorted(getattr(command, "commands", {}) or {}):
        found += _commands(command.commands[name], (*path, name))
    return found


def render_cli_docs() -> str:
    """Markdown with the --help of every command and sub-command, in a stable form."""
    import typer.main
    from typer.testing import CliRunner

    from envkeep.cli.app import build_app

    app = build_app()

    runner = CliRunner()
    env = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    sections = [HEADER]
    for path in _commands(typer.main.get_command(app), ()):
        result = runner.invoke(app, [*path, "--help"], env=env, prog_name="envkeep")
        title = " ".join(("envkeep", *path))
        sections.append(f"## {title}\n\n```\n{result.output.rstrip()}\n```\n")
    return "\n".join(sections)
