"""An ``@word`` in a ``.env.example`` comment that is no annotation stays an error (a typo must
not drop a rule silently), but its hint says what to do: a slip of a known annotation gets a
"did you mean", a mention of someone (``# Ask @devops for a key``, as files written by teams
have) how to write it so that it is not read as one."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from envkeep.core.errors import ParseError
from envkeep.core.schema import parse_env_example

if TYPE_CHECKING:
    from pathlib import Path


def _hint_of(tmp_path: Path, text: str) -> str:
    path = tmp_path / ".env.example"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParseError) as error:
        parse_env_example(path.read_text(encoding="utf-8"), source=str(path))
    return error.value.hint or ""


def test_a_mention_is_told_how_to_stay_a_comment(tmp_path: Path) -> None:
    hint = _hint_of(tmp_path, "# Ask @devops for a key\nAPI_KEY=\n")

    assert hint.endswith("a mention in a comment is not one: write it (@devops)")


def test_a_mention_in_a_file_header_is_told_the_same(tmp_path: Path) -> None:
    hint = _hint_of(tmp_path, "# Maintained by @platform-team\n\nAPI_KEY=\n")

    assert hint.endswith("write it (@platform-team)")


def test_a_slip_of_an_annotation_is_told_the_annotation(tmp_path: Path) -> None:
    hint = _hint_of(tmp_path, "# @requird\nAPI_KEY=\n")

    assert hint.endswith("did you mean @required?")
    assert "mention" not in hint


def test_the_written_mention_is_a_description(tmp_path: Path) -> None:
    path = tmp_path / ".env.example"
    path.write_text("# Ask (@devops) for a key\nAPI_KEY=\n", encoding="utf-8")

    schema = parse_env_example(path.read_text(encoding="utf-8"))

    assert [f.description for f in schema.fields] == ["Ask (@devops) for a key"]
