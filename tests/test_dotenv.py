"""Tests for the dotenv parser and renderer: syntax, errors, and round-trip properties."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envkeep.core.dotenv import (
    NAME_PATTERN,
    DotenvEntry,
    ParsedDotenv,
    is_valid_name,
    parse_dotenv,
    render_dotenv,
)
from envkeep.core.errors import InputError, ParseError

if TYPE_CHECKING:
    from pathlib import Path

SECRET = "hunter2-s3cr3t-Zq9"

names = st.from_regex(NAME_PATTERN, fullmatch=True)
values = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"))
# Text biased towards the characters the grammar cares about, so fuzzing reaches deep paths.
dotenv_like_text = st.lists(
    st.sampled_from([*"AB_x1 \t\r\n=#'\"\\$.-", "export ", "\ufeff", "\x00", "\u2028"])
).map("".join)


def values_of(text: str) -> dict[str, str]:
    return parse_dotenv(text).values


def parse_error(text: str, *, source: str | None = None) -> ParseError:
    with pytest.raises(ParseError) as caught:
        parse_dotenv(text, source=source)
    return caught.value


# --- names -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["A", "_", "a1", "DB.HOST", "my-var", "_X_9.y-z"])
def test_is_valid_name_accepts_letters_digits_underscore_dot_dash(name: str) -> None:
    assert is_valid_name(name)


@pytest.mark.parametrize("name", ["", "1A", "-A", ".A", "A B", "A=B", "A$", "É", "A\n"])
def test_is_valid_name_rejects_other_names(name: str) -> None:
    assert not is_valid_name(name)


# --- syntax ------------------------------------------------------------------------------


def test_simple_assignments_are_parsed_in_file_order_with_line_numbers() -> None:
    parsed = parse_dotenv("A=1\nB=2\n")
    assert parsed == ParsedDotenv(
        entries=(DotenvEntry("A", "1", 1), DotenvEntry("B", "2", 2)), warnings=()
    )


def test_blank_lines_and_full_line_comments_are_skipped() -> None:
    parsed = parse_dotenv("\n# a comment\n   \n  # indented comment\nA=1\n\n")
    assert parsed.entries == (DotenvEntry("A", "1", 5),)


def test_empty_text_has_no_entries() -> None:
    assert parse_dotenv("") == ParsedDotenv(entries=(), warnings=())


def test_leading_whitespace_before_name_is_ignored() -> None:
    assert values_of("   \tA=1") == {"A": "1"}


def test_crlf_line_endings_are_accepted() -> None:
    parsed = parse_dotenv("A=1\r\nB='x'\r\n# c\r\nC=\"y\"\r\n")
    assert parsed.values == {"A": "1", "B": "x", "C": "y"}
    assert [entry.line for entry in parsed.entries] == [1, 2, 4]


def test_crlf_inside_a_multiline_quoted_value_becomes_a_newline() -> None:
    assert values_of("A='x\r\ny'\r\nB=\"p\r\nq\"\r\n") == {"A": "x\ny", "B": "p\nq"}


def test_leading_byte_order_mark_is_ignored() -> None:
    assert values_of("\ufeffA=1\n") == {"A": "1"}


def test_last_line_without_newline_is_parsed() -> None:
    assert values_of("A=1\nB=2") == {"A": "1", "B": "2"}


def test_export_prefix_is_ignored() -> None:
    assert values_of("export A=1\nexport\tB='2'") == {"A": "1", "B": "2"}


def test_a_variable_may_be_named_export() -> None:
    assert values_of("export=1\nexport export=2\nexport = 3") == {"export": "3"}


def test_whitespace_around_equals_is_allowed() -> None:
    assert values_of("A = 1\nB\t=\t'2'\nC =  \"3\"") == {"A": "1", "B": "2", "C": "3"}


def test_unquoted_value_is_trimmed() -> None:
    assert values_of("A=   hello world   \n") == {"A": "hello world"}


def test_unquoted_value_inline_comment_starts_at_whitespace_hash() -> None:
    assert values_of("A=value # a comment\nB=v\t#c") == {"A": "value", "B": "v"}


def test_hash_not_preceded_by_whitespace_is_part_of_unquoted_value() -> None:
    assert values_of("URL=a#b\nC=#hash") == {"URL": "a#b", "C": "#hash"}


def test_whitespace_then_hash_right_after_equals_is_an_empty_value_with_comment() -> None:
    assert values_of("A= # only a comment") == {"A": ""}


def test_unquoted_value_keeps_backslashes_and_quotes_as_written() -> None:
    assert values_of(r"A=a\nb\"c'd") == {"A": "a\\nb\\\"c'd"}


def test_empty_value_is_the_empty_string() -> None:
    assert values_of("A=\nB=''\nC=\"\"\nD=   ") == {"A": "", "B": "", "C": "", "D": ""}


def test_single_quoted_value_is_literal() -> None:
    assert values_of(r"A='a\nb \"$X\" # not a comment'") == {"A": r"a\nb \"$X\" # not a comment"}


def test_single_quoted_value_keeps_surrounding_whitespace() -> None:
    assert values_of("A='  x  '") == {"A": "  x  "}


def test_single_quoted_value_may_span_lines() -> None:
    parsed = parse_dotenv("A='line one\nline two'\nB=2")
    assert parsed.values == {"A": "line one\nline two", "B": "2"}
    assert [entry.line for entry in parsed.entries] == [1, 3]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (r"\n", "\n"),
        (r"\r", "\r"),
        (r"\t", "\t"),
        (r"\"", '"'),
        (r"\\", "\\"),
        (r"\$", "$"),
        (r"\'", "'"),
        (r"\x", r"\x"),
        (r"\u00e9", r"\u00e9"),
        (r"a\\nb", "a\\nb"),
    ],
)
def test_double_quoted_value_decodes_known_escapes_only(raw: str, expected: str) -> None:
    assert values_of(f'A="{raw}"') == {"A": expected}


def test_double_quoted_value_may_span_lines_keeping_literal_newlines() -> None:
    parsed = parse_dotenv('A="-----BEGIN KEY-----\nabc\n-----END KEY-----"\nB=2\n')
    assert parsed.values == {"A": "-----BEGIN KEY-----\nabc\n-----END KEY-----", "B": "2"}
    assert [entry.line for entry in parsed.entries] == [1, 4]


def test_double_quoted_value_keeps_hash_and_surrounding_spaces() -> None:
    assert values_of('A=" a # b "') == {"A": " a # b "}


def test_comment_and_whitespace_may_follow_a_closing_quote() -> None:
    text = "A='1'   # note\nB=\"2\"# note\nC='3'  \t"
    assert values_of(text) == {"A": "1", "B": "2", "C": "3"}


def test_references_are_not_expanded() -> None:
    text = "A=1\nB=$A\nC=${A}\nD=\"${A}x\"\nE='$A'"
    assert values_of(text) == {"A": "1", "B": "$A", "C": "${A}", "D": "${A}x", "E": "$A"}


def test_quote_inside_an_unquoted_value_is_part_of_it() -> None:
    assert values_of('A=it\'s\nB=say"hi"') == {"A": "it's", "B": 'say"hi"'}


def test_equals_sign_in_value_is_kept() -> None:
    assert values_of("A=x=y==\nB='=1'") == {"A": "x=y==", "B": "=1"}


def test_dotted_and_dashed_names_are_accepted() -> None:
    assert values_of("db.host=x\nmy-var=y") == {"db.host": "x", "my-var": "y"}


# --- duplicates --------------------------------------------------------------------------


def test_duplicate_key_last_value_wins_and_warns_with_both_lines() -> None:
    parsed = parse_dotenv("PORT=1\nHOST=h\n\nPORT=2\n")
    assert parsed.values == {"PORT": "2", "HOST": "h"}
    assert list(parsed.values) == ["PORT", "HOST"]
    assert parsed.warnings == (
        "line 4: duplicate key 'PORT' (first set on line 1); the last value wins",
    )


def test_duplicates_are_kept_in_entries_in_file_order() -> None:
    parsed = parse_dotenv("A=1\nA=2\nA=3")
    assert [(e.value, e.line) for e in parsed.entries] == [("1", 1), ("2", 2), ("3", 3)]
    assert len(parsed.warnings) == 2
    assert all("(first set on line 1)" in warning for warning in parsed.warnings)


def test_duplicate_warning_never_contains_the_value() -> None:
    parsed = parse_dotenv(f"A={SECRET}\nA={SECRET}x\n")
    assert parsed.warnings
    assert SECRET not in parsed.warnings[0]


def test_no_warnings_without_duplicates() -> None:
    assert parse_dotenv("A=1\nB=1").warnings == ()


# --- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize("line", ["JUSTANAME", "A B=1", f"API_KEY {SECRET}", "export"])
def test_line_without_equals_after_a_name_is_a_parse_error(line: str) -> None:
    error = parse_error(f"OK=1\n\n{line}\n")
    assert error.line == 3
    assert "expected '='" in error.message
    assert error.hint is not None


def test_missing_name_before_equals_is_a_parse_error() -> None:
    error = parse_error("A=1\n=value")
    assert error.line == 2
    assert "missing variable name" in error.message


@pytest.mark.parametrize("name", ["1ABC", "A$B", "A:B", '"A"', "ÉTÉ"])
def test_invalid_name_is_a_parse_error_naming_it_and_the_rule(name: str) -> None:
    error = parse_error(f"# header\n{name}=1")
    assert error.line == 2
    assert f"invalid variable name {name!r}" in error.message
    assert "starts with a letter or '_'" in error.message


def test_very_long_invalid_name_is_shortened_in_the_message() -> None:
    error = parse_error("1" + "X" * 200 + "=1")
    assert len(error.message) < 200
    assert "…" in error.message


@pytest.mark.parametrize("quote", ["'", '"'])
def test_unterminated_quote_reports_the_line_where_it_opened(quote: str) -> None:
    error = parse_error(f"A=1\nB={quote}abc\nC=2\nD=3\n")
    assert error.line == 2
    assert "unterminated" in error.message
    assert "'B'" in error.message


def test_escaped_closing_double_quote_leaves_the_value_unterminated() -> None:
    error = parse_error('A="abc\\"\n')
    assert error.line == 1
    assert "unterminated double quote" in error.message


@pytest.mark.parametrize("quote", ["'", '"'])
def test_text_after_closing_quote_is_a_parse_error(quote: str) -> None:
    error = parse_error(f"A=1\nB={quote}abc{quote}def\n")
    assert error.line == 2
    assert "after the closing quote of 'B'" in error.message


def test_text_after_a_multiline_closing_quote_reports_closing_and_opening_lines() -> None:
    error = parse_error("A='x\ny\nz' trailing")
    assert error.line == 3
    assert "opened on line 1" in error.message


def test_nul_character_is_a_parse_error_with_its_line() -> None:
    error = parse_error("A=1\nB=2\nC=x\x00y\n")
    assert error.line == 3
    assert "NUL" in error.message


def test_source_is_passed_through_to_the_error() -> None:
    error = parse_error("A=1\n1X=2", source="prod.env")
    assert error.source == "prod.env"
    assert error.line == 2
    assert str(error).startswith("prod.env:2: ")


@pytest.mark.parametrize(
    "text",
    [
        f"A='{SECRET}' trailing",
        f'A="{SECRET}" trailing',
        f'A="{SECRET}\n',
        f"A='{SECRET}\n",
        f"API_KEY {SECRET}",
        f"A B={SECRET}",
        f"A={SECRET}\x00",
        f"A={SECRET}\n1B={SECRET}",
        f"={SECRET}",
    ],
)
def test_parse_error_never_contains_the_value(text: str) -> None:
    error = parse_error(text)
    assert SECRET not in str(error)
    assert SECRET not in (error.hint or "")


# --- rendering ---------------------------------------------------------------------------


def test_render_writes_one_line_per_entry_in_mapping_order() -> None:
    assert render_dotenv({"B": "2", "A": "1"}) == "B=2\nA=1\n"


def test_render_of_an_empty_mapping_is_empty() -> None:
    assert render_dotenv({}) == ""


def test_render_leaves_safe_values_unquoted_and_empty_values_bare() -> None:
    safe = "Az09_-./:@%+,="
    assert render_dotenv({"A": safe, "B": ""}) == f"A={safe}\nB=\n"


@pytest.mark.parametrize(
    ("value", "rendered"),
    [
        ("a b", "'a b'"),
        ("a#b", "'a#b'"),
        ('say "hi"', "'say \"hi\"'"),
        ("$HOME", "'$HOME'"),
        ("${A}", "'${A}'"),
        ("t\tab", "'t\tab'"),
        ("é", "'é'"),
        ("back\\slash", "'back\\slash'"),
        ("C:\\a\\$x \\\\ y", "'C:\\a\\$x \\\\ y'"),
        ('l1\n"l2" $X', "'l1\n\"l2\" $X'"),
        ("it's", '"it\'s"'),
        ("it's $HOME", '"it\'s \\$HOME"'),
        ("it's 5$ or $ 5", '"it\'s 5$ or $ 5"'),
        ("it's C:\\Users\\a", '"it\'s C:\\Users\\\\a"'),
        ("trail me\\", '"trail me\\\\"'),
        ("l1\nl2", "'l1\nl2'"),  # a shell keeps \n in double quotes as written
        ("it's\nl2", '"it\'s\\nl2"'),
        ("cr\r", '"cr\\r"'),
        ("t\tab'", '"t\tab\'"'),
        ("it's `id`", '"it\'s \\`id\\`"'),
    ],
)
def test_render_single_quotes_other_values_or_double_quotes_and_escapes_them(
    value: str, rendered: str
) -> None:
    assert render_dotenv({"A": value}) == f"A={rendered}\n"


def test_render_leaves_a_trailing_backslash_unquoted_with_a_blank_line_after_it() -> None:
    """Single quotes cannot hold it (python-dotenv reads ``\\'`` as a quote), nor double quotes
    for python-dotenv up to 1.2.2, npm's dotenv and dotenvx (``\\"``): unquoted, every reader
    but a shell keeps it, and the blank line keeps a shell from joining the next line."""
    assert render_dotenv({"D": "C:\\temp\\", "N": "1"}) == "D=C:\\temp\\\n\nN=1\n"


def test_render_puts_header_lines_as_comments_on_top() -> None:
    text = render_dotenv({"A": "1"}, header="generated by envkeep\n\nenv: prod")
    assert text == "# generated by envkeep\n#\n# env: prod\nA=1\n"
    assert parse_dotenv(text).values == {"A": "1"}


def test_render_header_with_odd_line_breaks_stays_comments() -> None:
    text = render_dotenv({"A": "1"}, header="x\ry\u2028z=1")
    assert parse_dotenv(text).values == {"A": "1"}


@pytest.mark.parametrize("name", ["", "1A", "A B", "A=B"])
def test_render_rejects_an_invalid_name(name: str) -> None:
    with pytest.raises(InputError, match="invalid variable name"):
        render_dotenv({name: "x"})


def test_render_rejects_a_nul_in_a_value_without_showing_it() -> None:
    with pytest.raises(InputError) as caught:
        render_dotenv({"A": f"{SECRET}\x00"})
    assert "NUL" in caught.value.message
    assert SECRET not in str(caught.value)


def test_render_rejects_a_nul_in_the_header() -> None:
    with pytest.raises(InputError, match="NUL"):
        render_dotenv({}, header="a\x00b")


# --- properties --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["it's `id -un` and $(id -un)", "a'b\\c`d`$HOME", "l1\n`touch {marker}`'"]
)
def test_a_shell_that_sources_the_file_gets_the_value_and_runs_nothing(
    value: str, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    value = value.replace("{marker}", str(marker))
    env_file = tmp_path / "x.env"
    env_file.write_text(render_dotenv({"A": value}), encoding="utf-8")
    shown = subprocess.run(
        ["bash", "-c", f'set -a; . "{env_file}"; printf %s "$A"'],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert not marker.exists()
    if "\n" not in value:  # a shell reads the dotenv escape \n as two characters
        assert shown == value
    assert parse_dotenv(env_file.read_text(encoding="utf-8")).values == {"A": value}


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(names, values, max_size=8))
def test_render_then_parse_round_trips_and_re_renders_identically(data: dict[str, str]) -> None:
    rendered = render_dotenv(data)
    parsed = parse_dotenv(rendered)
    assert parsed.values == data
    assert list(parsed.values) == list(data)
    assert parsed.warnings == ()
    assert render_dotenv(parsed.values) == rendered


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(names, values, max_size=4), values)
def test_render_with_header_round_trips(data: dict[str, str], header: str) -> None:
    assert parse_dotenv(render_dotenv(data, header=header)).values == data


def parse_or_error(text: str) -> ParsedDotenv | ParseError:
    try:
        return parse_dotenv(text)
    except ParseError as error:
        return error


def check_parse_returns_or_raises_parse_error(text: str) -> None:
    # Any other exception (IndexError, re.error, ...) propagates and fails the test.
    outcome = parse_or_error(text)
    if isinstance(outcome, ParseError):
        assert outcome.line is not None
        assert 1 <= outcome.line <= text.count("\n") + 1
    else:
        assert all(is_valid_name(entry.name) for entry in outcome.entries)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parse_of_arbitrary_text_returns_or_raises_parse_error(text: str) -> None:
    check_parse_returns_or_raises_parse_error(text)


@settings(max_examples=500, deadline=None)
@given(dotenv_like_text)
def test_parse_of_dotenv_like_text_returns_or_raises_parse_error(text: str) -> None:
    check_parse_returns_or_raises_parse_error(text)
