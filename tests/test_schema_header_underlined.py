"""A title underlined by a rule (``# Required settings:`` over ``# ------``) is a section
header, as a title framed by rules is: one saying "required" is warned of for its section,
and it ends the section above it. A description right above its variable is no title."""

from __future__ import annotations

from envkeep.core.schema import parse_env_example


def _noted(text: str) -> list[tuple[str, str, int]]:
    return [(note.rule, note.name, note.line) for note in parse_env_example(text).notes]


def test_a_title_underlined_by_a_rule_is_a_header() -> None:
    text = "# Required settings:\n# ------------------\nAPI_KEY=\n# @required\nHOST=\nPORT=80\n"

    assert _noted(text) == [("plain-required", "API_KEY", 3), ("plain-required", "PORT", 6)]


def test_an_underlined_title_ends_the_section_above_it() -> None:
    text = "## Required\nAPI_KEY=\n\n# Optional settings\n# ==================\nPORT=80\n"

    assert _noted(text) == [("plain-required", "API_KEY", 2)]


def test_a_description_above_its_variable_is_no_title() -> None:
    text = "## Required\n# The port.\nPORT=80\n"

    assert _noted(text) == [("plain-required", "PORT", 3)]
