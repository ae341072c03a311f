"""The three ways a comment says "required" without declaring it (a variable's own comment,
its section's header, a short label over its stack) are told in one form, built in one place
(`core.required_note`): the variable's line, the line of the comment that says it, and the
`# @required` to write. They were three phrasings ("'s comment says", "is under the header on
line N", "is stacked under the comment on line N"), and the first named no comment line."""

from __future__ import annotations

import pytest

from envkeep.core.schema import parse_env_example

SOURCE = "services/api/.env.example"


def _one(name: str, line: int, said: int) -> str:
    return (
        f"{SOURCE} line {line}: {name} is optional; the comment on line {said} says 'required',"
        f" which declares nothing: write '# @required' on a line of its own above {name}=…"
    )


@pytest.mark.parametrize(
    ("text", "name", "line", "said"),
    [
        ("LOG_LEVEL=info\nPORT=8080 # required\n", "PORT", 2, 2),
        ("# Required.\n# @type=port\nPORT=8080\n", "PORT", 3, 1),
        ("# --- Required ---\nA=1\n\n# The port.\nPORT=8080\n", "PORT", 5, 1),
        ("#####\n# Required settings\n#####\nA=1\nPORT=8080\n", "PORT", 5, 2),
        ("# Required\nA=\nPORT=8080\n", "PORT", 3, 1),
    ],
    ids=["trailing", "own-comment", "header", "framed-header", "label"],
)
def test_every_required_note_names_its_line_and_the_comment_line_in_one_form(
    text: str, name: str, line: int, said: int
) -> None:
    notes = [n for n in parse_env_example(text, source=SOURCE).notes if n.name == name]

    assert [(n.rule, n.line, n.text) for n in notes] == [
        ("plain-required", line, _one(name, line, said))
    ]


def test_a_label_above_annotation_lines_is_named_by_the_line_that_says_required() -> None:
    # `# @default="two words"` is one annotation: the label is line 1, not that line.
    text = '# Required\n# @default="two words"\nA=\nB=\n'

    notes = parse_env_example(text, source=SOURCE).notes

    assert [n.text for n in notes] == [_one("A", 3, 1), _one("B", 4, 1)]
