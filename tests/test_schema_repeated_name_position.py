"""A name declared twice is one field, which stands for the declaration its annotations come
from: it is listed there, in the fields' order, as its `line` says (it was listed where the
name was first declared, with the annotated line: `schema show --json`, whose own test is
tests/cli/test_schema_show_repeated_order.py, gave an entry whose place and line disagreed)."""

from __future__ import annotations

from envkeep.core.schema import parse_env_example


def test_a_repeated_name_stands_where_its_annotated_declaration_is() -> None:
    text = "DEBUG=true\nPORT=8080\n# @type=bool\nDEBUG=false\nLOG_LEVEL=info\nDEBUG=0\n"

    schema = parse_env_example(text)

    assert [(f.name, f.line) for f in schema.fields] == [
        ("PORT", 2),
        ("DEBUG", 4),
        ("LOG_LEVEL", 5),
    ]


def test_a_repeated_name_annotated_nowhere_stands_where_it_is_first_declared() -> None:
    schema = parse_env_example("DEBUG=true\nPORT=8080\nDEBUG=false\n")

    assert [(f.name, f.line) for f in schema.fields] == [("DEBUG", 1), ("PORT", 2)]
