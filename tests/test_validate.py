"""Tests for validation: every type and rule, severities, order, and no value in any message."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envkeep.core.schema import TYPES, FieldSpec, Schema
from envkeep.core.validate import (
    RULES,
    Finding,
    check_value,
    duration_seconds,
    format_number,
    matches_type,
    validate_values,
)

SECRET = "hunter2-s3cr3t-Zq9"

VALID: dict[str, list[str]] = {
    "string": ["anything at all", "0", "  "],
    "int": ["0", "42", "-7", "+3", "007", "123456789012345678901234567890"],
    "float": ["1", "1.5", "-0.25", ".5", "5.", "1e10", "2.5E-3"],
    "bool": ["true", "False", "1", "0", "yes", "NO", "on", "Off"],
    "url": [
        "https://example.com",
        "http://localhost:8080/path?q=1#frag",
        "postgres://user:pass@localhost/db",
        "redis://[::1]:6379/0",
    ],
    "email": ["a@b.co", "first.last+tag@mail.example.org", "x_y@sub-domain.io"],
    "port": ["1", "80", "8080", "65535"],
    "json": ['{"a": 1}', "[1, 2]", "3", '"text"', "null", "true"],
    "duration": ["30s", "5m", "1h30m", "250ms", "2d", "90", "1.5h", "1d2h3m4s5ms"],
    "path": ["/etc/app.conf", "relative/dir", "C:\\Windows", "~/x"],
}
INVALID: dict[str, list[str]] = {
    "int": ["1.5", "abc", "1_000", " 1", "1 ", "٣", "0x10", "--1"],
    "float": ["abc", "nan", "inf", "1.2.3", "1,5", "e5"],
    "bool": ["maybe", "2", "y", "truee"],
    "url": [
        "example.com",
        "localhost:5432",
        "/just/a/path",
        "http://",
        "http:///path",
        "sqlite:///app.db",
        "http://exa mple.com",
        "http://host:port/",
        "http://[::1",
        "http://host:99999",
    ],
    "email": ["plain", "@b.co", "a@b", "a@@b.co", "a b@c.co", "a@b.c", "a@-b.co"],
    "port": ["0", "65536", "-1", "http", "80.0", "123456"],
    "json": ["{a: 1}", "[1,", "'single'", "{"],
    "duration": ["x", "30 s", "5y", "-5s", "1h-30m", "s", "1.s", "30sec"],
    "path": ["a\x00b"],
}


@pytest.mark.parametrize(
    ("type_name", "value"), [(t, v) for t, values in VALID.items() for v in values]
)
def test_valid_values_of_each_type_pass(type_name: str, value: str) -> None:
    assert check_value(FieldSpec("A", type=type_name), value) is None


@pytest.mark.parametrize(
    ("type_name", "value"), [(t, v) for t, values in INVALID.items() for v in values]
)
def test_invalid_values_of_each_type_fail_the_type_rule(type_name: str, value: str) -> None:
    problem = check_value(FieldSpec("A", type=type_name), value)
    assert problem is not None
    assert problem[0] == "type"
    assert problem[1].startswith("expected")


def test_every_type_but_string_and_enum_has_invalid_examples() -> None:
    assert set(VALID) | {"enum"} == set(TYPES)
    assert set(INVALID) == set(TYPES) - {"string", "enum"}


def test_enum_accepts_only_its_choices_case_sensitively() -> None:
    spec = FieldSpec("LEVEL", type="enum", choices=("debug", "info"))
    assert check_value(spec, "info") is None
    assert check_value(spec, "INFO") == ("enum", "expected one of: debug, info")
    assert check_value(spec, "trace") == ("enum", "expected one of: debug, info")


def test_unknown_type_in_a_hand_made_spec_is_reported_not_raised() -> None:
    assert check_value(FieldSpec("A", type="colour"), "red") == (
        "type",
        "the schema's type 'colour' is unknown",
    )


def test_matches_type_is_false_for_unknown_types() -> None:
    assert not matches_type("colour", "red")
    assert matches_type("enum", "a", ("a", "b"))


# --- range --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "value", "expected"),
    [
        (FieldSpec("A", type="int", minimum=1, maximum=64), "0", "must be at least 1"),
        (FieldSpec("A", type="int", minimum=1, maximum=64), "65", "must be at most 64"),
        (FieldSpec("A", type="float", maximum=0.5), "0.75", "must be at most 0.5"),
        (FieldSpec("A", type="port", minimum=1024), "80", "must be at least 1024"),
        (FieldSpec("A", minimum=3), "ab", "must be at least 3 characters long"),
        (FieldSpec("A", type="url", maximum=10), "http://example.com", "at most 10 characters"),
        (FieldSpec("A", type="duration", minimum=60), "30s", "must be at least 60 seconds"),
        (FieldSpec("A", type="duration", maximum=3600), "1h1s", "must be at most 3600 seconds"),
        (FieldSpec("A", type="int", maximum=10), "9" * 5000, "must be at most 10"),
    ],
)
def test_out_of_range_values_fail_the_range_rule(
    spec: FieldSpec, value: str, expected: str
) -> None:
    problem = check_value(spec, value)
    assert problem is not None
    assert problem[0] == "range"
    assert expected in problem[1]


@pytest.mark.parametrize(
    ("spec", "value"),
    [
        (FieldSpec("A", type="int", minimum=1, maximum=64), "1"),
        (FieldSpec("A", type="int", minimum=1, maximum=64), "64"),
        (FieldSpec("A", type="int", maximum=9007199254740992), "9007199254740992"),
        (FieldSpec("A", minimum=2, maximum=2), "ab"),
        (FieldSpec("A", type="duration", minimum=60, maximum=60), "1m"),
        (FieldSpec("A", type="duration", maximum=0.5), "250ms"),
    ],
)
def test_values_on_the_bounds_pass(spec: FieldSpec, value: str) -> None:
    assert check_value(spec, value) is None


def test_integer_bounds_compare_exactly_beyond_float_precision() -> None:
    spec = FieldSpec("A", type="int", maximum=9007199254740992)
    assert check_value(spec, "9007199254740993") == ("range", "must be at most 9007199254740992")
    above = FieldSpec("A", type="int", minimum=9007199254740993)  # no float holds it
    assert check_value(above, "9007199254740992") is not None
    assert check_value(above, "9007199254740993") is None


def test_type_is_checked_before_range() -> None:
    assert check_value(FieldSpec("A", type="int", minimum=5), "x") == (
        "type",
        "expected an integer",
    )


# --- pattern ------------------------------------------------------------------------------


def test_pattern_must_match_the_whole_value() -> None:
    spec = FieldSpec("REGION", pattern="[a-z]+")
    assert check_value(spec, "eu") is None
    assert check_value(spec, "eu1") == ("pattern", "must match the pattern [a-z]+")


def test_pattern_is_checked_after_range() -> None:
    problem = check_value(FieldSpec("A", minimum=5, pattern="[0-9]+"), "ab")
    assert problem is not None
    assert problem[0] == "range"


def test_invalid_pattern_in_a_hand_made_spec_is_reported_not_raised() -> None:
    problem = check_value(FieldSpec("A", pattern="[a-"), "x")
    assert problem is not None
    assert problem[0] == "pattern"


# --- empty and missing --------------------------------------------------------------------


def test_empty_optional_value_passes_whatever_its_type() -> None:
    for type_name in TYPES:
        assert check_value(FieldSpec("A", type=type_name, minimum=3, pattern="x"), "") is None


def test_empty_required_value_is_the_empty_rule() -> None:
    assert check_value(FieldSpec("A", required=True), "") == ("empty", "required but empty")


def test_missing_required_field_is_reported_without_a_value() -> None:
    findings = validate_values({}, Schema((FieldSpec("PORT", required=True),)), service="api")
    assert findings == [Finding("api", "PORT", "missing", "required but not set")]
    assert findings[0].value is None
    assert findings[0].severity == "error"


def test_missing_required_field_with_a_default_is_fine() -> None:
    assert validate_values({}, Schema((FieldSpec("A", required=True, default="1"),))) == []


def test_missing_optional_field_is_fine() -> None:
    assert validate_values({}, Schema((FieldSpec("A", type="int"),))) == []


def test_empty_required_field_is_an_error_even_with_a_default() -> None:
    findings = validate_values({"A": ""}, Schema((FieldSpec("A", required=True, default="x"),)))
    assert [(f.rule, f.value) for f in findings] == [("empty", "")]


# --- validate_values ----------------------------------------------------------------------


def test_findings_carry_the_service_rule_message_and_offending_value() -> None:
    schema = Schema((FieldSpec("PORT", type="port"),))
    assert validate_values({"PORT": "http"}, schema, service="api") == [
        Finding("api", "PORT", "type", "expected a port number from 1 to 65535", value="http")
    ]


def test_valid_values_give_no_findings() -> None:
    schema = Schema(
        (FieldSpec("PORT", type="port", required=True), FieldSpec("DEBUG", type="bool"))
    )
    assert validate_values({"PORT": "8080", "DEBUG": "on"}, schema) == []


def test_names_outside_the_schema_are_unknown_warnings() -> None:
    findings = validate_values({"A": "1", "EXTRA": "x"}, Schema((FieldSpec("A"),)))
    assert findings == [
        Finding(None, "EXTRA", "unknown", "not declared in the schema", "warning", "x")
    ]


def test_only_names_the_service_set_itself_can_be_unknown() -> None:
    values = {"INHERITED": "a", "MINE": "b", "A": "1"}
    schema = Schema((FieldSpec("A"),))
    findings = validate_values(values, schema, own={"MINE", "A", "NOT_IN_VALUES"})
    assert [(f.name, f.rule) for f in findings] == [("MINE", "unknown")]
    assert validate_values({"EXTRA": "x"}, Schema(()), own=()) == []


def test_unresolved_names_are_errors_with_the_given_message_and_skip_type_checks() -> None:
    schema = Schema((FieldSpec("URL", type="url", required=True),))
    message = "dangling reference: URL -> HOST"
    findings = validate_values(
        {"URL": "http://${HOST}"}, schema, service="api", unresolved={"URL": message}
    )
    assert findings == [Finding("api", "URL", "unresolved", message, value="http://${HOST}")]


def test_unresolved_field_absent_from_values_is_unresolved_not_missing() -> None:
    schema = Schema((FieldSpec("A", required=True),))
    findings = validate_values({}, schema, unresolved={"A": "cycle: A -> B -> A"})
    assert [(f.rule, f.value) for f in findings] == [("unresolved", None)]


def test_unresolved_name_outside_the_schema_is_reported() -> None:
    findings = validate_values(
        {"X": "${Y}"}, Schema(()), unresolved={"X": "dangling reference: X -> Y"}
    )
    assert [(f.name, f.rule, f.severity) for f in findings] == [
        ("X", "unresolved", "error"),
        ("X", "unknown", "warning"),
    ]


def test_findings_follow_schema_order_then_unknown_names_sorted() -> None:
    schema = Schema((FieldSpec("Z", type="int"), FieldSpec("A", required=True), FieldSpec("M")))
    findings = validate_values({"Z": "x", "b_extra": "1", "A_EXTRA": "2", "M": "ok"}, schema)
    assert [(f.name, f.rule) for f in findings] == [
        ("Z", "type"),
        ("A", "missing"),
        ("A_EXTRA", "unknown"),
        ("b_extra", "unknown"),
    ]


def test_every_rule_can_be_produced() -> None:
    schema = Schema(
        (
            FieldSpec("MISSING", required=True),
            FieldSpec("EMPTY", required=True),
            FieldSpec("TYPE", type="int"),
            FieldSpec("RANGE", type="int", maximum=1),
            FieldSpec("PATTERN", pattern="a"),
            FieldSpec("ENUM", type="enum", choices=("a",)),
            FieldSpec("UNRESOLVED"),
        )
    )
    values = {"EMPTY": "", "TYPE": "x", "RANGE": "2", "PATTERN": "b", "ENUM": "b", "UNKNOWN": "u"}
    strays = {"ENUM": "refers to ${apii.HOST}, but there is no service 'apii'"}
    findings = validate_values(values, schema, unresolved={"UNRESOLVED": "dangling"}, strays=strays)
    assert [f.rule for f in findings] == [*RULES[:6], "unresolved", "unknown", "unknown-service"]
    assert set(RULES) == {f.rule for f in findings}
    assert {f.rule: f.severity for f in findings} == {
        **dict.fromkeys(RULES, "error"),
        "unknown": "warning",
        "unknown-service": "warning",
    }


def test_no_message_contains_the_value() -> None:
    schema = Schema(
        tuple(
            FieldSpec(f"F_{t}", type=t, choices=("a",), minimum=100, maximum=200, pattern="z")
            for t in TYPES
        )
    )
    values = dict.fromkeys(schema.names, SECRET) | {"OTHER": SECRET, "UNRES": SECRET}
    findings = validate_values(values, schema, unresolved={"UNRES": "dangling reference"})
    assert len(findings) == len(TYPES) + 3
    for finding in findings:
        assert SECRET not in finding.message
        assert finding.value == SECRET


@given(st.text(), st.sampled_from(TYPES))
def test_check_value_never_raises_and_never_echoes_the_value(value: str, type_name: str) -> None:
    spec = FieldSpec("A", type=type_name, choices=("a",), minimum=1, maximum=9, pattern="[a-z]+")
    problem = check_value(spec, value + "Zq9XkW")
    if problem is not None:
        assert problem[0] in RULES
        assert "Zq9XkW" not in problem[1]


# --- helpers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("90", 90.0),
        ("30s", 30.0),
        ("5m", 300.0),
        ("1h30m", 5400.0),
        ("250ms", 0.25),
        ("2d", 172800.0),
    ],
)
def test_duration_seconds_converts_each_unit(value: str, seconds: float) -> None:
    assert duration_seconds(value) == seconds


def test_duration_seconds_is_none_for_non_durations() -> None:
    assert duration_seconds("soon") is None


@pytest.mark.parametrize(
    ("number", "text"), [(65535.0, "65535"), (-2.0, "-2"), (0.5, "0.5"), (1e20, "1e+20")]
)
def test_format_number_drops_a_useless_decimal_point(number: float, text: str) -> None:
    assert format_number(number) == text


def test_names_outside_the_schema_come_sorted_unresolved_first_and_own_only() -> None:
    values = {"C": "c", "B": "b", "A": "${Z}", "INHERITED": "i"}
    findings = validate_values(
        values, Schema(()), unresolved={"A": "dangling reference: A -> Z"}, own={"C", "B", "A"}
    )
    assert [(f.name, f.rule) for f in findings] == [
        ("A", "unresolved"),
        ("A", "unknown"),
        ("B", "unknown"),
        ("C", "unknown"),
    ]


def test_a_finding_holds_every_field_its_constructor_was_given() -> None:
    given = ("api", "PORT", "type", "expected a port", "warning", "x")

    found = Finding(*given)

    assert dataclasses.astuple(found) == given  # a field the written-out __init__ missed fails
    assert found == Finding(*given)
    assert hash(found) == hash(Finding(*given))
    with pytest.raises(dataclasses.FrozenInstanceError):
        found.rule = "range"  # type: ignore[misc]
