"""Section headers and commented-out variables in a ``.env.example`` written by people over
years (`core._section_breaks`): ``# --- Database ---``, ``## Cache``, ``#### Redis ####``, a
rule of ``#``, ``# SENTRY_DSN=`` are not the description of the variable below them; a comment
between such a line and the variable still is, and annotations anywhere in the block still
apply. Read from real files."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from envkeep.core.errors import InputError, ParseError
from envkeep.core.schema import FieldSpec, Schema, parse_env_example, render_env_example

if TYPE_CHECKING:
    from pathlib import Path

SECTIONED = """\
# --- Database ---
DATABASE_URL=postgres://user:pass@localhost:5432/app

## Cache
# Seconds an entry is kept
CACHE_TTL=60

#### Redis ####
REDIS_HOST=localhost

############################
# Required settings
############################
SECRET_KEY=changeme

# ===== Mail =====
# @required @type=email
MAIL_FROM=ops@example.com

# Sentry reports errors here
# SENTRY_DSN=
LOG_LEVEL=info

# *** Important ***
# The public URL of the site
SITE_URL=https://example.com
"""


def _descriptions(tmp_path: Path, text: str) -> dict[str, str | None]:
    path = tmp_path / ".env.example"
    path.write_bytes(text.encode())
    schema = parse_env_example(path.read_text(encoding="utf-8"), source=str(path))
    return {field.name: field.description for field in schema.fields}


def test_section_headers_are_not_descriptions(tmp_path: Path) -> None:
    found = _descriptions(tmp_path, SECTIONED)

    assert found["DATABASE_URL"] is None
    assert found["REDIS_HOST"] is None
    assert found["SECRET_KEY"] is None  # framed by rules: "Required settings" is a header


def test_a_comment_below_a_header_still_describes_the_variable(tmp_path: Path) -> None:
    found = _descriptions(tmp_path, SECTIONED)

    assert found["CACHE_TTL"] == "Seconds an entry is kept"
    assert found["SITE_URL"] == "The public URL of the site"


def test_a_commented_out_variable_and_its_comment_do_not_describe_the_next(
    tmp_path: Path,
) -> None:
    assert _descriptions(tmp_path, SECTIONED)["LOG_LEVEL"] is None


def test_annotations_under_a_header_still_apply(tmp_path: Path) -> None:
    path = tmp_path / ".env.example"
    path.write_text(SECTIONED, encoding="utf-8")

    mail = parse_env_example(path.read_text(encoding="utf-8")).field("MAIL_FROM")

    assert mail is not None
    assert (mail.required, mail.type, mail.description) == (True, "email", None)


def test_an_annotation_on_the_header_side_of_the_block_still_applies(tmp_path: Path) -> None:
    # Read this way before headers were told apart: the file keeps meaning what it meant.
    found = parse_env_example("# @required\n# --- Database ---\nDATABASE_URL=x\n").fields

    assert [(f.name, f.required, f.description) for f in found] == [("DATABASE_URL", True, None)]


@pytest.mark.parametrize(
    "description",
    ["The port.", "Ask ops@example.com", "Rate limit a --- b", "e.g. FOO=bar", "#1 choice"],
)
def test_a_plain_comment_is_still_a_description(tmp_path: Path, description: str) -> None:
    assert _descriptions(tmp_path, f"# {description}\nA=1\n") == {"A": description}


def test_rendering_a_description_that_would_read_as_a_header_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"'A'.*section header"):
        render_env_example(Schema((FieldSpec("A", description="--- Database ---"),)))


def test_a_required_settings_header_is_noted_as_a_header_not_as_a_description(
    tmp_path: Path,
) -> None:
    path = tmp_path / ".env.example"
    path.write_text(
        "# --- Required settings ---\nSECRET_KEY=changeme\n\nAPI_KEY=\n", encoding="utf-8"
    )

    schema = parse_env_example(path.read_text(encoding="utf-8"), source=str(path))

    # a header: its whole section is noted, and it is no one's description
    assert [note.text.split(": ", 1)[1][:51] for note in schema.notes] == [
        "SECRET_KEY is optional; the comment on line 1 says ",
        "API_KEY is optional; the comment on line 1 says 're",
    ]
    assert [field.description for field in schema.fields] == [None, None]
    described = parse_env_example("# Required.\nSECRET_KEY=x\n\nAPI_KEY=\n")
    assert [note.name for note in described.notes] == ["SECRET_KEY"]  # words about it alone


@pytest.mark.parametrize(
    "text",
    [
        "# @type=url @secret\n# SENTRY_DSN=\nLOG_LEVEL=info\n",
        "# SENTRY_DSN= # @secret\nLOG_LEVEL=info\n",
        "# Error reports\n# @secret\n# export SENTRY_DSN=https://key@sentry.io/1\nLOG_LEVEL=info\n",
    ],
)
def test_an_annotation_of_a_commented_out_variable_is_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / ".env.example"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(ParseError, match=r"commented-out SENTRY_DSN= .*apply to LOG_LEVEL") as e:
        parse_env_example(path.read_text(encoding="utf-8"), source=str(path))

    assert e.value.line is not None
    assert e.value.line < text.count("\n")  # a comment line's, not LOG_LEVEL's


def test_an_annotation_below_a_commented_out_variable_is_the_next_ones() -> None:
    schema = parse_env_example("# SENTRY_DSN=\n# @secret\nLOG_LEVEL=info\n")

    assert [(f.name, f.secret) for f in schema.fields] == [("LOG_LEVEL", True)]
