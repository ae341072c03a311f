"""A ``.env.example`` comment saying "required" in plain words declares nothing: the schema
says so in a note naming the line, and suggests ``# @required``; the field stays optional."""

from __future__ import annotations

from envkeep.core.schema import parse_env_example

EXAMPLE = """\
# The port.
PORT=8080 # required

# Required. Where the orders live.
DATABASE_URL=

# Not required: a default applies.
DEBUG=0
# @required
NAME=x # required
TIMEOUT=30 # optional, required only behind a proxy
"""


def test_a_plain_required_comment_is_noted_with_its_line_and_the_annotation_to_write() -> None:
    schema = parse_env_example(EXAMPLE, source="services/api/.env.example")

    port, database_url = schema.notes
    assert port.text == (
        "services/api/.env.example line 2: PORT is optional; the comment on line 2 says"
        " 'required', which declares nothing: write '# @required' on a line of its own above"
        " PORT=…"
    )
    assert database_url.text.startswith(
        "services/api/.env.example line 5: DATABASE_URL is optional; the comment on line 4 says"
    )
    port_field = schema.field("PORT")
    assert port_field is not None
    assert not port_field.required


def test_an_annotated_or_denied_required_is_not_noted() -> None:
    noted = parse_env_example(EXAMPLE).notes

    assert [note.text.split(" is ")[0] for note in noted] == [
        "line 2: PORT",
        "line 5: DATABASE_URL",
    ]


def test_notes_survive_a_merge_with_another_schema() -> None:
    first = parse_env_example("A=1 # required\n", source="a")
    second = parse_env_example("B=2 # required\n", source="b")

    assert [note.text[:8] for note in first.merged_with(second).notes] == ["a line 1", "b line 1"]
