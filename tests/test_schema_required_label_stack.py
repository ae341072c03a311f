"""A short "required" label right above a stack of variables (`core.required_labels`): a
reader takes ``# Required`` over ``DATABASE_URL=`` and ``SECRET_KEY=`` on the next line as
saying both are required, and only the first (whose description the comment is) was noted.
Each variable of the stack is noted now; a blank line or another comment of words ends it."""

from __future__ import annotations

import pytest

from envkeep.core.schema import parse_env_example

STACKED = """\
# Required
DATABASE_URL=
SECRET_KEY=

LOG_LEVEL=info
"""


def _noted(text: str) -> list[tuple[str, int]]:
    return [(n.name, n.line) for n in parse_env_example(text).notes if n.rule == "plain-required"]


def test_each_variable_stacked_under_a_required_label_is_noted() -> None:
    schema = parse_env_example(STACKED, source="services/api/.env.example")

    assert [(n.rule, n.name, n.line) for n in schema.notes] == [
        ("plain-required", "DATABASE_URL", 2),
        ("plain-required", "SECRET_KEY", 3),
    ]
    assert schema.notes[1].text == (
        "services/api/.env.example line 3: SECRET_KEY is optional; the comment on line 1 says"
        " 'required', which declares nothing: write '# @required' on a line of its own above"
        " SECRET_KEY=…"
    )
    secret_key = schema.field("SECRET_KEY")
    assert secret_key is not None
    assert not secret_key.required  # noted, not converted


@pytest.mark.parametrize(
    ("text", "noted"),
    [
        ("# Required env vars:\nA=\nB=\nC=\n", [("A", 2), ("B", 3), ("C", 4)]),
        ("# Required\n# @secret\nA=\n# @required\nB=\nC=\n", [("A", 3), ("C", 6)]),
        ('# REQUIRED.\nCERT="line 1\nline 2"\nKEY=\n', [("CERT", 2), ("KEY", 4)]),
        ("# Required\nA=\n# The signing key.\nB=\n", [("A", 2)]),
        ("# Required. Where the orders live.\nA=\nB=\n", [("A", 2)]),
        ("# Required in production\nA=\nB=\n", []),
    ],
    ids=["label", "annotations-only-between", "multi-line-value", "own-comment", "sentence", "if"],
)
def test_a_stack_runs_to_a_blank_line_or_a_comment_of_words(
    text: str, noted: list[tuple[str, int]]
) -> None:
    assert _noted(text) == noted
