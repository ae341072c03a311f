"""Exported files mean what envkeep holds, for other tools and for `import`: `$` in dotenv
files, dotenv values read in stored form (literal `${` kept literal), JSON and YAML values
imported as the text the document writes, duplicate keys warned about in every format."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envkeep.core.dotenv import NAME_PATTERN, parse_dotenv, render_dotenv
from envkeep.core.errors import ParseError
from envkeep.core.references import expand
from envkeep.integrations.exporters import export
from envkeep.integrations.importers import parse_import

SECRET = "hunter2-s3cr3t-Zq9"
# A `${` after an even number of backslashes: double-quoted, a reference for compose and envkeep.
UNESCAPED_REFERENCE = re.compile(r"(?<!\\)(?:\\\\)*\$\{")

names = st.from_regex(NAME_PATTERN, fullmatch=True)
texts = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"))
# Text made of what the quoting and the reference syntax care about, so that `${`, `$${`,
# quotes and backslashes meet often.
dollar_texts = st.lists(st.sampled_from([*"$${}\\'\"\n\r\t #=aX", "${X}", "$${", "\\$"])).map(
    "".join
)


def stored(text: str) -> dict[str, str]:
    return parse_dotenv(text, as_stored=True).values


def imported(text: str, fmt: str) -> dict[str, str]:
    return parse_import(text.encode("utf-8"), fmt=fmt, source="vars").values


def warnings_of(text: str, fmt: str) -> tuple[str, ...]:
    return parse_import(text.encode("utf-8"), fmt=fmt, source="vars").warnings


def resolved(values: dict[str, str]) -> dict[str, str]:
    expansion = expand(values)
    expansion.raise_first()
    assert all(refs == () for refs in expansion.references.values())
    return expansion.values


# --- rendering `$` for other tools -----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "line"),
    [
        ("pa$word", "A='pa$word'"),
        ("${X}", "A='${X}'"),
        ("$$", "A='$$'"),
        ("a b", "A='a b'"),
        ('say "hi" #1', "A='say \"hi\" #1'"),
        ("t\tab é", "A='t\tab é'"),
        ("C:\\$x", "A='C:\\$x'"),
        ("l1\n${X}", "A='l1\n${X}'"),
    ],
)
def test_values_without_a_quote_cr_or_trailing_backslash_are_single_quoted(
    value: str, line: str
) -> None:
    assert render_dotenv({"A": value}) == f"{line}\n"


@pytest.mark.parametrize(
    ("value", "line"),
    [
        ("it's $5", 'A="it\'s \\$5"'),
        ("it's ${X}", 'A="it\'s \\${X}"'),
        ("it's \\${X}", 'A="it\'s \\\\\\${X}"'),
        ("it's $$", 'A="it\'s \\$$"'),
        ("it's 5$", 'A="it\'s 5$"'),
        ("$\\", 'A="$\\\\"'),
        ("cr\r$X", 'A="cr\\r\\$X"'),
    ],
)
def test_double_quotes_escape_a_dollar_only_where_some_reader_would_expand_it(
    value: str, line: str
) -> None:
    assert render_dotenv({"A": value}) == f"{line}\n"


@settings(max_examples=300, deadline=None)
@given(st.one_of(texts, dollar_texts))
def test_a_dollar_is_escaped_only_where_single_quotes_cannot_hold_the_value(value: str) -> None:
    body = render_dotenv({"A": value}).removeprefix("A=").removesuffix("\n")

    if body.startswith("'"):
        assert body == f"'{value}'"
        assert not set("'\r") & set(value)
        assert not value.endswith("\\")
    elif body.startswith('"'):
        assert "\\$" not in body or set("'\r") & set(value) or value.endswith("\\")
        assert UNESCAPED_REFERENCE.search(body) is None
    else:
        assert "$" not in body


# --- dotenv values in stored form ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("A='${X}'", "$${X}"),
        ("A='pa$word $$ $'", "pa$word $$ $"),
        ('A="\\${X}"', "$${X}"),
        ('A="\\$X \\$"', "$X $"),
        ('A="$\\${X}"', "$$${X}"),
        ('A="\\${X} ${Y}"', "$${X} ${Y}"),
        ('A="${X}"', "${X}"),
        ("A=${X}", "${X}"),
        ("A=$${X}", "$${X}"),
        ("A=\\${X}", "$${X}"),
        ("A=a\\${X}b ${Y}", "a$${X}b ${Y}"),
        ("A=\\\\${X}", "\\$${X}"),
        ("A=$\\${X}", "$$${X}"),
        ("A=a'${X}'", "a'${X}'"),
    ],
)
def test_literal_dollars_are_read_as_literals_and_the_rest_as_references(
    text: str, value: str
) -> None:
    assert stored(text) == {"A": value}


@pytest.mark.parametrize("text", ["A='${X}'", 'A="\\${X}"', "A=${X}", 'A="${X}"'])
def test_values_read_for_a_command_keep_their_text(text: str) -> None:
    assert parse_dotenv(text).values == {"A": "${X}"}


def test_an_escaped_dollar_right_before_a_reference_is_refused() -> None:
    with pytest.raises(ParseError) as caught:
        stored(f'A=1\nTOKEN="{SECRET}\\$${{X}}"\n')

    assert caught.value.line == 2
    assert "'TOKEN'" in str(caught.value)
    assert SECRET not in f"{caught.value} {caught.value.hint}"


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(names, st.one_of(texts, dollar_texts), max_size=6))
def test_dotenv_export_imports_back_to_values_that_resolve_to_the_same_text(
    values: dict[str, str],
) -> None:
    assert resolved(imported(export(values, "dotenv"), "dotenv")) == values


@settings(max_examples=500, deadline=None)
@given(dollar_texts)
def test_reading_in_stored_form_returns_or_raises_parse_error(text: str) -> None:
    try:
        plain = parse_dotenv(f"A={text}").values
    except ParseError:
        plain = None
    try:
        as_stored = stored(f"A={text}")
    except ParseError:
        as_stored = None

    assert (plain is None) <= (as_stored is None)
    if as_stored is not None and "$" not in text:
        assert as_stored == plain


# --- JSON and YAML keep the text they write ----------------------------------------------


@pytest.mark.parametrize(
    ("scalar", "text"),
    [
        ("1.10", "1.10"),
        ("0123", "0123"),
        ("01234", "01234"),
        ("NO", "NO"),
        ("yes", "yes"),
        ("True", "True"),
        ("true", "true"),
        ("12:30:00", "12:30:00"),
        ("0x1F", "0x1F"),
        ("1_000", "1_000"),
        (".inf", ".inf"),
        ("1e3", "1e3"),
        ("2024-01-02 03:04:05", "2024-01-02 03:04:05"),
        ("=", "="),
        ("9" * 5000, "9" * 5000),
        ("null", ""),
        ("~", ""),
        ("[1.10, 0x1F, yes, true, null, {k: 0123}]", '[1.10,"0x1F","yes",true,null,{"k":"0123"}]'),
    ],
)
def test_yaml_scalars_are_imported_as_written(scalar: str, text: str) -> None:
    assert imported(f"V: {scalar}\n", "yaml") == {"V": text}


@pytest.mark.parametrize(
    ("scalar", "text"),
    [
        ("1.10", "1.10"),
        ("1E5", "1E5"),
        ("1e400", "1e400"),
        ("-0.0", "-0.0"),
        ("12345678901234567890.5", "12345678901234567890.5"),
        ("9" * 5000, "9" * 5000),
        ("NaN", "NaN"),
        ("true", "true"),
        ("null", ""),
        ('[1.10, 1E5, {"k": 2}]', '[1.10,1E5,{"k":2}]'),
    ],
)
def test_json_numbers_are_imported_as_written(scalar: str, text: str) -> None:
    assert imported(f'{{"V": {scalar}}}', "json") == {"V": text}


def test_a_plain_yaml_key_is_its_text() -> None:
    assert imported("on: 1\nNO: 2\n", "yaml") == {"on": "1", "NO": "2"}


def test_an_explicit_yaml_tag_still_converts() -> None:
    assert imported("A: !!int 0x1F\nB: !!str 1.10\n", "yaml") == {"A": "31", "B": "1.10"}


# --- duplicate keys ----------------------------------------------------------------------


def test_a_duplicate_json_key_is_warned_about_and_the_last_value_wins() -> None:
    text = f'{{"a": "{SECRET}", "db": {{"h": 1, "h": 2}}, "a": 2}}'

    assert imported(text, "json") == {"a": "2", "db_h": "2"}
    assert warnings_of(text, "json") == (
        "duplicate key 'a'; the last value wins",
        "duplicate key 'db.h'; the last value wins",
    )


def test_a_duplicate_yaml_key_is_warned_about_with_its_lines_and_the_last_value_wins() -> None:
    text = f"a: {SECRET}\ndb:\n  h: 1\n  'h': 2\na: 2\n"

    assert imported(text, "yaml") == {"a": "2", "db_h": "2"}
    assert warnings_of(text, "yaml") == (
        "line 5: duplicate key 'a' (first set on line 1); the last value wins",
        "line 4: duplicate key 'db.h' (first set on line 3); the last value wins",
    )


def test_a_duplicate_key_inside_a_list_is_warned_about() -> None:
    assert warnings_of('{"L": [{"k": 1, "k": 2}]}', "json") == (
        "duplicate key 'L.0.k'; the last value wins",
    )


def test_yaml_merge_keys_are_not_duplicates() -> None:
    text = "base: &b {x: 1, y: 1}\nm:\n  <<: *b\n  x: 2\n"

    assert imported(text, "yaml") == {"base_x": "1", "base_y": "1", "m_x": "2", "m_y": "1"}
    assert warnings_of(text, "yaml") == ()
