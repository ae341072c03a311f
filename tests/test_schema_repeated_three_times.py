"""A name declared three or more times with different annotations is refused saying how many
times and naming each line, and which two differ: it said "declared twice" and named two.
Declared so with none, each repetition's note says to keep one of them all, not "of the two"."""

from __future__ import annotations

import pytest

from envkeep.core.errors import ParseError
from envkeep.core.schema import parse_env_example

THREE = """\
# @type=bool
DEBUG=true
PORT=8080
DEBUG=false
LOG_LEVEL=info
# @type=int
DEBUG=1
"""


def test_three_declarations_with_different_annotations_are_refused_naming_each_line() -> None:
    with pytest.raises(ParseError) as refused:
        parse_env_example(THREE, source="a/.env.example")

    assert str(refused.value) == (
        "a/.env.example:7: 'DEBUG' is declared 3 times (lines 2, 4 and 7) with different"
        " annotations on lines 2 and 7, so what it must be is unclear"
    )


def test_two_declarations_with_different_annotations_still_say_twice() -> None:
    with pytest.raises(ParseError) as refused:
        parse_env_example("# @type=bool\nDEBUG=true\n# @type=int\nDEBUG=1\n")

    assert "'DEBUG' is declared twice with different annotations (lines 2 and 4)" in str(
        refused.value
    )


def test_each_note_on_a_name_declared_three_times_says_to_keep_one_of_three() -> None:
    notes = parse_env_example("DEBUG=1\nDEBUG=2\nDEBUG=3\n", source="x").notes

    assert [(n.line, n.text.split(": ", 1)[1].split("value: ")[1]) for n in notes] == [
        (2, "delete all 3 but one, or comment them out (# DEBUG=…)"),
        (3, "delete all 3 but one, or comment them out (# DEBUG=…)"),
    ]


def test_the_note_on_a_name_declared_twice_still_says_one_of_the_two() -> None:
    (note,) = parse_env_example("DEBUG=1\nDEBUG=2\n").notes

    assert note.text.endswith("delete one of the two, or comment it out (# DEBUG=…)")
