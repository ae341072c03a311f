"""Write docs/cli.md from the commands' --help."""

from __future__ import annotations

from pathlib import Path

from envkeep.cli.docs import render_cli_docs

if __name__ == "__main__":
    target = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
    target.write_text(render_cli_docs(), encoding="utf-8")
    print(f"wrote {target}")
