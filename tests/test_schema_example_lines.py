"""A name a ``.env.example`` declares more than once is read as one field whose example is
the later value: the field records that value's line (``example_line``), and each repetition's
note names the first declaration, not the line the merged field keeps (its annotated one's)."""

from __future__ import annotations

from envkeep.core.schema import parse_env_example


def test_the_example_of_a_name_declared_twice_names_the_later_line() -> None:
    text = "# @type=int\nPORT=8080\n\nPORT=<your-port>\n"

    port = parse_env_example(text).field("PORT")

    assert port is not None
    assert (port.line, port.example, port.example_line) == (2, "<your-port>", 4)


def test_a_third_declaration_names_the_first_line_not_the_annotated_one() -> None:
    text = "DEBUG=true\n# @type=bool\nDEBUG=false\nDEBUG=true\n"

    notes = parse_env_example(text).notes

    assert [(n.line, n.text.split("(", 1)[1].split(")")[0]) for n in notes] == [
        (3, "first on line 1"),
        (4, "first on line 1"),
    ]
