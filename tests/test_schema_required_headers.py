"""A section header saying "required" (`core.required_headers`) declares nothing: each
variable under it, up to the next header, not ``@required`` is noted with its line and the
header's, so that a file like these, written before envkeep, does not pass `validate` with
its "required" settings unset and nothing said."""

from __future__ import annotations

import pytest

from envkeep.core.schema import parse_env_example

DJANGO_STYLE = """\
#####################################
# Required settings
#####################################
SECRET_KEY=changeme
# @required
DATABASE_URL=postgres://app:app@localhost:5432/app
ALLOWED_HOSTS=localhost

#####################################
# Optional settings
#####################################
SENTRY_DSN=
"""


def _noted(text: str) -> list[tuple[str, int]]:
    return [(note.name, note.line) for note in parse_env_example(text).notes]


def test_every_optional_variable_under_a_required_header_is_noted_up_to_the_next_header() -> None:
    schema = parse_env_example(DJANGO_STYLE, source="services/web/.env.example")

    assert [(note.rule, note.name, note.line) for note in schema.notes] == [
        ("plain-required", "SECRET_KEY", 4),
        ("plain-required", "ALLOWED_HOSTS", 7),
    ]
    assert schema.notes[0].text == (  # line 2: the title, not the rule above it
        "services/web/.env.example line 4: SECRET_KEY is optional; the comment on line 2 says"
        " 'required', which declares nothing: write '# @required' on a line of its own above"
        " SECRET_KEY=…"
    )
    secret_key = schema.field("SECRET_KEY")
    assert secret_key is not None
    assert not secret_key.required  # noted, not converted


@pytest.mark.parametrize(
    "header",
    ["# --- Required ---", "## Required settings", "# ===== REQUIRED =====", "#---Required---"],
)
def test_each_header_form_saying_required_is_read(header: str) -> None:
    text = f"{header}\nAPI_KEY=<your-key>\n\n# The region.\nREGION=eu-west-1\n## Cache\nTTL=60\n"

    assert _noted(text) == [("API_KEY", 2), ("REGION", 5)]


@pytest.mark.parametrize(
    "header",
    [
        "# --- Optional (not required) ---",
        "## Required in production only",
        "# --- Required when TLS is on ---",
        "## Database",
    ],
)
def test_a_header_not_saying_required_of_its_whole_section_notes_nothing(header: str) -> None:
    assert _noted(f"{header}\nTLS_CERT=\nTLS_KEY=\n") == []


def test_a_variable_whose_own_comment_says_required_is_noted_once() -> None:
    text = "## Required\nPORT=8080 # required\nHOST=0.0.0.0\n"

    notes = parse_env_example(text).notes

    assert [(n.name, n.text.split("the comment on ")[1][:6]) for n in notes] == [
        ("PORT", "line 2"),  # its own comment's note, not the header's as well
        ("HOST", "line 1"),
    ]
