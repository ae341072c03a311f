"""A comment saying "required" above the second declaration of a name (``DEBUG=true`` on
line 1, ``# Required.`` over ``DEBUG=false`` on line 4) is noted at the line it describes,
not the merged field's (the first declaration's), which has no such comment."""

from __future__ import annotations

from envkeep.core.schema import parse_env_example


def test_a_required_comment_above_a_second_declaration_is_noted_at_that_line() -> None:
    notes = parse_env_example("DEBUG=true\n\n# Required.\nDEBUG=false\n", source="x").notes

    assert [(n.rule, n.line) for n in notes] == [("plain-required", 4), ("duplicate", 4)]
    assert notes[0].text.startswith(
        "x line 4: DEBUG is optional; the comment on line 3 says 'required'"
    )


def test_a_name_required_on_another_line_is_not_noted_for_its_comment() -> None:
    notes = parse_env_example("# @required\nDEBUG=true\n\n# Required.\nDEBUG=false\n").notes

    assert [n.rule for n in notes] == ["duplicate"]
