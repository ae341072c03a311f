"""A Markdown-style header saying "required" (``## Required``) is about its whole section,
deeper sub-headers (``### Database``) included, up to a header as high or higher: a reader of
the file takes the variables under ``### Database`` as required too. The section ended at the
first sub-header, so they passed `validate` unset with nothing said."""

from __future__ import annotations

import pytest

from envkeep.core.schema import parse_env_example

NESTED = """\
## Required
### Database
DATABASE_URL=
DB_POOL=5

#### Cache ####
REDIS_URL=
## Optional
LOG_LEVEL=info
"""


def _noted(text: str) -> list[tuple[str, int]]:
    return [(note.name, note.line) for note in parse_env_example(text).notes]


def test_variables_under_sub_headers_of_a_required_section_are_noted() -> None:
    schema = parse_env_example(NESTED, source="services/api/.env.example")

    assert [(n.rule, n.name, n.line) for n in schema.notes] == [
        ("plain-required", "DATABASE_URL", 3),
        ("plain-required", "DB_POOL", 4),
        ("plain-required", "REDIS_URL", 7),
    ]
    assert schema.notes[2].text.startswith(
        "services/api/.env.example line 7: REDIS_URL is optional; the comment on line 1 says"
        " 'required'"
    )


@pytest.mark.parametrize(
    "closing",
    [
        "## Database",
        "# Database\n# --------",
        "# --- Database ---",
        "### Optional",
        "### Not required",
    ],
)
def test_a_required_section_ends_at_a_header_as_high_another_form_or_optional(
    closing: str,
) -> None:
    text = f"### Required\nAPI_KEY=\n{closing}\nTIMEOUT=30\n"

    assert _noted(text) == [("API_KEY", 2)]


def test_a_header_of_another_form_is_not_a_parent_of_markdown_sub_headers() -> None:
    text = "# --- Required ---\nAPI_KEY=\n## Database\nDATABASE_URL=\n"

    assert _noted(text) == [("API_KEY", 2)]
