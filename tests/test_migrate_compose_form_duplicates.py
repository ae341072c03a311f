"""A compose form (`${NAME:?message}`) on a line a later duplicate overrides is never imported:
the file imports as it did before compose forms were refused, the last value winning."""

from __future__ import annotations

import pytest

from envkeep.core.errors import ReferenceProblem
from envkeep.integrations.importers import parse_import


def test_a_compose_form_a_later_duplicate_overrides_is_not_refused() -> None:
    parsed = parse_import(b"D=${X:?set X}\nD=ok\n", fmt="dotenv", source=".env", literal=False)

    assert parsed.values == {"D": "ok"}
    assert any("duplicate key 'D'" in warning for warning in parsed.warnings)


def test_a_compose_form_in_the_value_kept_is_refused_at_its_line() -> None:
    with pytest.raises(ReferenceProblem) as refused:
        parse_import(b"D=ok\nE=1\nD=${X:+on}\n", fmt="dotenv", source=".env", literal=False)

    assert refused.value.message.startswith(".env:3: the value of D uses ${NAME:+text}")
