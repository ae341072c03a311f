"""The "required" note names the comment line whose words say it: an annotation between that
comment and the variable whose value holds the word (``@pattern=required``,
``@default="not required"``) is no such line, yet the note named it."""

from __future__ import annotations

import pytest

from envkeep.core.schema import parse_env_example


@pytest.mark.parametrize(
    "annotation",
    ["# @pattern=^required$", '# @default="not required"', "# @default=required"],
)
@pytest.mark.parametrize("label", ["# Required:", "# Required."])
def test_the_note_names_the_comment_saying_required_not_an_annotation_holding_the_word(
    label: str, annotation: str
) -> None:
    schema = parse_env_example(f"{label}\n{annotation}\nA=required\nB=2\n", source="x")

    said = {note.name: note.text for note in schema.notes if note.rule == "plain-required"}
    assert said.keys() >= {"A"}, schema.notes
    for name, text in said.items():
        assert f"{name} is optional; the comment on line 1 says 'required'" in text, text
