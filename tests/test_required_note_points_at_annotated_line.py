"""A name declared twice whose annotations are on the later line only (`repeated_names`: the
field's ``line`` is that line): a "required" note on the other declaration says to write
``# @required`` above the annotated one, naming its line. Written above the noted line, as
the note said before, it made the two lines' annotations differ, and the file was refused."""

from __future__ import annotations

import pytest

from envkeep.core.schema import parse_env_example

COMMENTED = "# Required.\nDEBUG=true\n\n# @type=bool\nDEBUG=false\n"
HEADED = "## Required\nDEBUG=true\n\n## Production\n# @type=bool\nDEBUG=false\n"


def _following(text: str, line: int) -> str:
    """``text`` with ``# @required`` written right above its line ``line``."""
    lines = text.splitlines(keepends=True)
    return "".join([*lines[: line - 1], "# @required\n", *lines[line - 1 :]])


@pytest.mark.parametrize(("text", "annotated"), [(COMMENTED, 5), (HEADED, 6)])
def test_the_required_note_names_the_line_the_annotations_are_on(text: str, annotated: int) -> None:
    schema = parse_env_example(text, source="x")
    noted = [n for n in schema.notes if n.rule == "plain-required"]

    assert [n.line for n in noted] == [2]
    assert noted[0].text.endswith(
        f"write '# @required' on a line of its own above DEBUG=… on line {annotated}"
    )
    field = schema.field("DEBUG")
    assert field is not None
    assert field.line == annotated


@pytest.mark.parametrize(("text", "annotated"), [(COMMENTED, 5), (HEADED, 6)])
def test_following_the_note_makes_the_variable_required(text: str, annotated: int) -> None:
    fixed = parse_env_example(_following(text, annotated))

    field = fixed.field("DEBUG")
    assert field is not None
    assert (field.required, field.type) == (True, "bool")
    assert not [n for n in fixed.notes if n.rule == "plain-required"]


def test_a_name_annotated_nowhere_is_told_the_line_noted() -> None:
    notes = parse_env_example("DEBUG=true\n\n# Required.\nDEBUG=false\n").notes

    assert notes[0].text.endswith("write '# @required' on a line of its own above DEBUG=…")
