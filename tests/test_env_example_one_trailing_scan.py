"""Reading a ``.env.example`` (every `run`, `get` and `export` of a service with one does)
scans its text for values twice: once for the entries, once for the comments after values,
which both the trailing-annotation refusal and the plain "required" notes read. A third scan
(the notes' own) cost 2.7 ms of 7.6 on a 110-variable file."""

from __future__ import annotations

import pytest

from envkeep.core import dotenv
from envkeep.core.errors import ParseError
from envkeep.core.schema import parse_env_example

EXAMPLE = "".join(f"# Variable {i}.\nV{i}=x{i} # a comment\n" for i in range(20))


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts scanned whole (a value's own parse scans only that value)."""
    made: list[str] = []
    real = dotenv._Scanner

    class Counted(real):  # type: ignore[misc,valid-type]
        def __init__(self, body: str, *args: object, **kwargs: object) -> None:
            made.append(body)
            super().__init__(body, *args, **kwargs)

    monkeypatch.setattr(dotenv, "_Scanner", Counted)
    return made


def test_reading_an_example_scans_its_text_twice_not_once_per_check(scans: list[str]) -> None:
    text = EXAMPLE + "PORT=8080 # required\n"
    schema = parse_env_example(text, source="x")

    assert scans.count(text) == 2
    assert schema.notes[0].text.startswith(
        "x line 41: PORT is optional; the comment on line 41 says 'required'"
    )


def test_an_annotation_after_a_value_is_still_refused_naming_its_line() -> None:
    with pytest.raises(ParseError) as refused:
        parse_env_example(EXAMPLE + "TOKEN=x # @secret\n", source="x")

    assert refused.value.line == 41
    assert "'@secret' follows TOKEN's value" in refused.value.message
