"""A name a ``.env.example`` declares more than once, under a section header saying
"required": each line it is declared on is in some section, so each is checked (the merged
field's line is only one of them), and the name is noted once, at its line in the section."""

from __future__ import annotations

from envkeep.core.schema import parse_env_example


def _noted(text: str) -> list[tuple[str, str, int]]:
    return [(note.rule, note.name, note.line) for note in parse_env_example(text).notes]


def test_a_name_declared_again_under_a_required_header_is_noted_at_that_line() -> None:
    text = "DEBUG=true\n\n\n# --- Required ---\nDEBUG=false\n"

    schema = parse_env_example(text, source="app/.env.example")

    assert _noted(text) == [("plain-required", "DEBUG", 5), ("duplicate", "DEBUG", 5)]
    header = next(note for note in schema.notes if note.rule == "plain-required")
    assert header.text.startswith(
        "app/.env.example line 5: DEBUG is optional; the comment on line 4 says 'required'"
    )


def test_a_name_declared_twice_under_required_headers_is_noted_once() -> None:
    text = "# --- Required ---\nDEBUG=true\n# --- Required too ---\nDEBUG=false\n"

    assert [n for n in _noted(text) if n[0] == "plain-required"] == [("plain-required", "DEBUG", 2)]


def test_a_name_required_on_one_of_its_lines_under_a_required_header_is_not_noted() -> None:
    text = "# @required\nDEBUG=true\n\n# --- Required ---\nDEBUG=false\n"

    assert [n for n in _noted(text) if n[0] == "plain-required"] == []
