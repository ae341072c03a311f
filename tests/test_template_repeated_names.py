"""A template that declares a name twice is refused, naming the second line: a .env.example
may (one variable and a warning), but a template's value is the default each service using
it gets, and a template keeps no warning to show, so the later value won silently."""

from __future__ import annotations

import pytest

from envkeep.core.errors import ParseError
from envkeep.core.templates import parse_template


def test_a_template_declaring_a_name_twice_is_refused_on_the_second_line() -> None:
    text = "LOG_LEVEL=debug\nHOST=localhost\nLOG_LEVEL=info\n"

    with pytest.raises(ParseError) as caught:
        parse_template(text, name="logging", source="logging.env")

    assert caught.value.line == 3
    assert "'LOG_LEVEL' is declared twice" in str(caught.value)


def test_a_template_declaring_each_name_once_keeps_its_defaults() -> None:
    template = parse_template("LOG_LEVEL=debug\nHOST=localhost\n", name="logging")

    assert template.values == {"LOG_LEVEL": "debug", "HOST": "localhost"}
