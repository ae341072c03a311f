"""A ``.env.example`` often shows another value of a variable commented out right above it
(``# DATABASE_URL=sqlite:///dev.db`` over ``DATABASE_URL=postgres://…``): that line is about
the variable itself, so the annotations and the description above it stay the variable's.
Read from real files."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from envkeep.core.errors import ParseError
from envkeep.core.schema import parse_env_example

if TYPE_CHECKING:
    from pathlib import Path

OWN_VALUE = """\
# The database the app writes to
# @required @secret
# DATABASE_URL=sqlite:///dev.db
DATABASE_URL=postgres://localhost/app
"""


def _parsed(tmp_path: Path, text: str) -> dict[str, tuple[bool, bool, str | None]]:
    path = tmp_path / ".env.example"
    path.write_text(text, encoding="utf-8")
    schema = parse_env_example(path.read_text(encoding="utf-8"), source=str(path))
    return {f.name: (f.required, f.secret, f.description) for f in schema.fields}


def test_annotations_above_a_commented_out_value_of_the_same_variable_apply_to_it(
    tmp_path: Path,
) -> None:
    found = _parsed(tmp_path, OWN_VALUE)

    assert found == {"DATABASE_URL": (True, True, "The database the app writes to")}


def test_an_annotation_above_another_variable_commented_out_before_the_own_value_is_refused(
    tmp_path: Path,
) -> None:
    text = "# @secret\n# SENTRY_DSN=\n# LOG_LEVEL=debug\nLOG_LEVEL=info\n"

    with pytest.raises(ParseError, match=r"commented-out SENTRY_DSN= .*apply to LOG_LEVEL"):
        _parsed(tmp_path, text)
