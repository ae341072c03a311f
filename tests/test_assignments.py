"""`set`'s arguments: NAME=value, each a usage error naming what to write when it is not."""

from __future__ import annotations

import pytest

from envkeep.client.assignments import parse_assignments
from envkeep.core.errors import UsageError


def test_a_name_and_its_value_as_two_arguments_is_told_to_join_them() -> None:
    """`set KEY value`, as dotenvx and Doppler take it: the hint says how envkeep takes it,
    and never repeats the value (a secret, already in the shell's history)."""
    with pytest.raises(UsageError) as raised:
        parse_assignments(["API_KEY", "s3cr3t-value"], lambda name: "unused")

    assert "envkeep takes the name and its value as one argument" in raised.value.message
    assert raised.value.hint is not None
    assert raised.value.hint.startswith("envkeep set API_KEY=VALUE (or API_KEY alone")
    assert "s3cr3t-value" not in raised.value.message + raised.value.hint


def test_a_first_argument_without_equals_that_is_a_name_is_named() -> None:
    with pytest.raises(UsageError) as raised:
        parse_assignments(["B", "C=3", "D=4"])

    assert raised.value.message == "'B' has no '='"


@pytest.mark.parametrize(
    ("pairs", "said"),
    [
        (
            ["DB_PASS=", "hunter2-s3cr3t"],
            "argument 2 has no '=' (not shown: it may be the value of DB_PASS)",
        ),
        (["A=1", "p@ss w0rd s3cr3t"], "argument 2 has no '=' (not shown: it may be a value)"),
        # a token-like value is a valid name too: after another argument, never shown
        (["A=1", "sk_live_s3cr3t"], "argument 2 has no '=' (not shown: it may be a value)"),
    ],
)
def test_an_argument_that_may_be_a_value_is_not_repeated(pairs: list[str], said: str) -> None:
    """`set DB_PASS= value` (a space after the '='): the value is the argument refused, and its
    refusal goes to a terminal's scrollback or a CI log, so it is named by its position."""
    with pytest.raises(UsageError) as raised:
        parse_assignments(pairs)

    assert raised.value.message == said
    assert "s3cr3t" not in raised.value.message + (raised.value.hint or "")


@pytest.mark.parametrize(
    ("pairs", "said"),
    [
        (  # a base64 value's padding: its text before the '=' is taken for a name
            ["DB_PASS=", "s3cr3t+b/x=="],
            ("argument 2 is not a valid variable name (not shown: it may be the value of DB_PASS)"),
        ),
        (["p@ss+s3cr3t"], "argument 1 is not a valid variable name (not shown: it may be a value)"),
        (  # a value with a space, unquoted: its second half taken for an assignment
            ["DB_PASS=abc", "s3cr3t+b/x=="],
            "argument 2 is not a valid variable name (not shown: it may be a value)",
        ),
    ],
)
def test_a_value_taken_for_a_name_is_not_repeated(pairs: list[str], said: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse_assignments(pairs, lambda name: "unused")

    assert raised.value.message == said
    assert "s3cr3t" not in raised.value.message + (raised.value.hint or "")


@pytest.mark.parametrize(
    "pairs",
    [
        ["TOKEN=", "s3cr3t="],  # a value ending in '=' (base64's padding) read as `s3cr3t=`
        ["TOKEN=", "s3cr3t=x"],  # a KEY=VALUE shaped value
        ["TOKEN=", "PORT=8080"],  # an empty value then another: ambiguous all the same
        ["A=1", "TOKEN=", "s3cr3t="],
    ],
)
def test_an_argument_after_an_empty_value_is_refused_not_taken_for_a_name(
    pairs: list[str],
) -> None:
    """`set TOKEN= 's3cr3t='`: a space after the '=' emptied TOKEN, and its value, parsed as an
    assignment, was stored as a variable named after it. Refused (exit 2) before anything is
    written, naming the argument by its position, never its text."""
    at = pairs.index("TOKEN=") + 2
    with pytest.raises(UsageError) as raised:
        parse_assignments(pairs)

    assert raised.value.exit_code == 2
    assert raised.value.message == (
        f"argument {at} follows the empty TOKEN= (not shown: it may be the value of TOKEN)"
    )
    assert raised.value.hint is not None
    assert "TOKEN='VALUE' as one argument" in raised.value.hint
    assert "give TOKEN= last" in raised.value.hint
    assert "s3cr3t" not in raised.value.message + raised.value.hint


def test_an_empty_value_given_last_is_set() -> None:
    assert parse_assignments(["PORT=8080", "EMPTY="]) == {"PORT": "8080", "EMPTY": ""}
    assert parse_assignments(["EMPTY="]) == {"EMPTY": ""}


@pytest.mark.parametrize("before", ["DB_PASS=s3cr3t=", "DB_PASS=s3cr3t+b/x=="])
@pytest.mark.parametrize("after", ["oops", "p@ss+x="])
def test_the_value_of_the_argument_before_a_refused_one_is_not_repeated(
    before: str, after: str
) -> None:
    """A value that ends in '=' is no empty NAME=: its text was said as "the value of
    DB_PASS=s3cr3t", and its hint repeated it whole."""
    with pytest.raises(UsageError) as raised:
        parse_assignments([before, after])

    assert raised.value.message.endswith("(not shown: it may be a value)")
    assert "s3cr3t" not in raised.value.message + (raised.value.hint or "")


def test_a_name_that_is_no_value_is_named_when_invalid() -> None:
    with pytest.raises(UsageError) as raised:
        parse_assignments(["MY VAR=1"])

    assert raised.value.message == "'MY VAR' is not a valid variable name"


def test_name_value_pairs_and_one_name_read_from_stdin() -> None:
    assert parse_assignments(["A=1", "B=x=y"]) == {"A": "1", "B": "x=y"}
    assert parse_assignments(["TOKEN"], lambda name: f"read for {name}") == {
        "TOKEN": "read for TOKEN"
    }


def test_a_quoted_invalid_name_after_another_argument_is_shown_unless_it_may_be_a_value() -> None:
    # a space in one argument means it was quoted as one: no rest of a value the shell split
    # holds one, so `set GOOD=1 'bad name=2'` shows the name the user has to fix
    with pytest.raises(UsageError) as shown:
        parse_assignments(["GOOD=1", "bad name=2"])
    with pytest.raises(UsageError) as hidden:
        parse_assignments(["TOKEN=", "ab cd=ef"])  # that quoted value, after an empty NAME=

    assert shown.value.message == "'bad name' is not a valid variable name"
    assert "ab cd" not in hidden.value.message + str(hidden.value.hint)
