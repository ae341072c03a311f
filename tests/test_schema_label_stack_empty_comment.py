"""An empty ``#`` line under a "required" label ends the label's stack, as a blank line does:
files use it as a spacer between groups, and the variables after it are not the label's."""

from __future__ import annotations

from envkeep.core.schema import parse_env_example


def _noted(text: str) -> list[str]:
    return [n.name for n in parse_env_example(text).notes if n.rule == "plain-required"]


def test_an_empty_comment_line_ends_a_required_labels_stack() -> None:
    text = "# Required\nDATABASE_URL=\nSECRET_KEY=\n#\nLOG_LEVEL=info\n"

    assert _noted(text) == ["DATABASE_URL", "SECRET_KEY"]


def test_the_stack_runs_on_to_the_empty_comment_and_no_further() -> None:
    with_spacer = "# Required\nDATABASE_URL=\n#\nSECRET_KEY=\n"
    without = "# Required\nDATABASE_URL=\nSECRET_KEY=\n"

    assert _noted(with_spacer) == ["DATABASE_URL"]
    assert _noted(without) == ["DATABASE_URL", "SECRET_KEY"]
