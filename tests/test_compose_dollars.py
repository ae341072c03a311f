"""An import warns of the ``$NAME`` and ``$$`` that docker compose expands and envkeep keeps."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from envkeep.core.dotenv import render_dotenv
from envkeep.integrations.compose_dollars import compose_dollar_warnings
from envkeep.integrations.importers import parse_import

SECRET = "pa$$word-s3cr3t"


def import_warnings(text: str, *, literal: bool = False) -> tuple[str, ...]:
    return parse_import(text.encode(), fmt="dotenv", source=".env", literal=literal).warnings


def test_an_unbraced_name_or_a_double_dollar_compose_expands_is_warned_of_by_name_and_line() -> (
    None
):
    text = f'A=$HOME_DIR/x\nB=${{HOME_DIR:-/def}}\nC={SECRET}\nD="$USER"\n'

    (warning,) = import_warnings(text)

    assert warning.startswith("A (line 1), C (line 3), D (line 4): a $NAME without braces")
    assert "single-quote the value" in warning
    assert SECRET not in warning


def test_what_compose_reads_as_written_too_is_not_warned_of() -> None:
    text = "A='$HOME'\nB=\"\\$HOME\"\nC=$${X}\nD=${X}\nE=cost 5$\nF='$$'\n"

    assert compose_dollar_warnings(text) == ()


def test_a_literal_import_takes_every_dollar_as_text_and_says_nothing() -> None:
    assert import_warnings("A=$HOME\n", literal=True) == ()


@settings(max_examples=50)
@given(st.lists(st.sampled_from([*"$${}\"'\\ aZ_1\n", "$HOME", "$$", "${X}"]), max_size=10))
def test_a_file_envkeep_writes_gets_no_warning_when_imported(parts: list[str]) -> None:
    assert compose_dollar_warnings(render_dotenv({"V": "".join(parts)})) == ()
