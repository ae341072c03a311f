"""A name a ``.env.example`` declares twice (`core.repeated_names`), as files kept for years
do: read as one variable with a note naming both lines, its annotations from whichever line
has them and its example the later value; refused, naming the file and both lines, only where
both lines' annotations say different things."""

from __future__ import annotations

import pytest

from envkeep.core.errors import ParseError
from envkeep.core.schema import parse_env_example

DEV_AND_PROD = """\
# Development
# @type=bool
DEBUG=true
LOG_LEVEL=debug

# Production
DEBUG=false
LOG_LEVEL=warning
"""


def test_a_repeated_name_is_one_field_with_a_note_naming_both_lines() -> None:
    schema = parse_env_example(DEV_AND_PROD, source="services/api/.env.example")

    assert schema.names == ("DEBUG", "LOG_LEVEL")
    assert [(n.rule, n.name, n.line) for n in schema.notes] == [
        ("duplicate", "DEBUG", 7),
        ("duplicate", "LOG_LEVEL", 8),
    ]
    assert schema.notes[0].text == (
        "services/api/.env.example line 7: DEBUG is declared again (first on line 3); it is"
        " read as one variable whose example is the later value: delete one of the two, or"
        " comment it out (# DEBUG=…)"
    )


def test_the_annotations_of_either_line_apply_and_the_later_value_is_the_example() -> None:
    first = parse_env_example(DEV_AND_PROD).field("DEBUG")
    later = parse_env_example("DEBUG=true\n# @required @type=bool\nDEBUG=false\n").field("DEBUG")

    assert first is not None
    assert later is not None
    assert (first.type, first.required, first.example) == ("bool", False, "false")
    assert (later.type, later.required, later.example) == ("bool", True, "false")


def test_the_same_annotations_on_both_lines_are_accepted() -> None:
    schema = parse_env_example("# @secret\nAPI_KEY=a\n\n# @secret\nAPI_KEY=b\n")

    assert [(f.name, f.secret) for f in schema.fields] == [("API_KEY", True)]


@pytest.mark.parametrize(
    "second", ["# @type=int", "# @required @type=bool", "# @type=bool @default=false"]
)
def test_different_annotations_on_the_two_lines_are_refused_naming_the_file_and_both(
    second: str,
) -> None:
    with pytest.raises(ParseError) as caught:
        parse_env_example(f"# @type=bool\nDEBUG=true\n{second}\nDEBUG=false\n", source="a/.env")

    assert str(caught.value).startswith(
        "a/.env:4: 'DEBUG' is declared twice with different annotations (lines 2 and 4)"
    )
    assert caught.value.hint is not None
    assert "keep the annotations above one DEBUG=" in caught.value.hint
