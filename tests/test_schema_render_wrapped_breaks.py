"""A long description is wrapped when rendered as a ``.env.example``; where a line breaks is
the renderer's choice, so a line the wrap starts with ``mode=fast`` (which would read back as
a commented-out variable) is joined to the line before, and the file reads back as written."""

from __future__ import annotations

import pytest

from envkeep.core.errors import InputError
from envkeep.core.schema import FieldSpec, Schema, parse_env_example, render_env_example

WRAPS_ONTO_AN_ASSIGNMENT = "word " * 19 + "mode=fast is best"  # a full first line


def test_a_description_wrapped_onto_a_name_equals_line_renders_and_reads_back() -> None:
    spec = FieldSpec("WORKER_MODE", description=WRAPS_ONTO_AN_ASSIGNMENT)

    text = render_env_example(Schema((spec,)))

    assert "\n# mode=fast" not in text
    read = parse_env_example(text).field("WORKER_MODE")
    assert read is not None
    assert read.description == WRAPS_ONTO_AN_ASSIGNMENT


def test_a_description_that_is_a_header_on_its_own_is_still_refused() -> None:
    with pytest.raises(InputError, match="section header"):
        render_env_example(Schema((FieldSpec("A", description="--- Database ---"),)))
