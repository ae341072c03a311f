"""The bulk type tests and the compiled check plan agree with the one-value tests."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from envkeep.core.schema import TYPES, FieldSpec, Schema
from envkeep.core.validate import check_value, validate_values
from envkeep.core.valuetypes import bulk_check, matches_type

CHOICES = ("debug", "info")
SAMPLES = st.lists(
    st.one_of(
        st.text(max_size=12),
        st.sampled_from(
            [
                "https://a.example:8080/x?y#z",
                "http://h:65536/",
                "http://h:/",
                "http://h:0/",
                "http://h:00",
                "http://h:080/",
                "ftp://[::1]/",
                "https://a.example/p q",
                "0080",
                "65535",
                "65536",
                "+3",
                "Yes",
                "info",
                "https://x\nhttps://y",
            ]
        ),
    ),
    max_size=8,
)


def test_a_url_with_port_zero_is_not_a_url() -> None:
    # Like @type=port, a URL's port runs from 1 to 65535 (docs/schema.md).
    assert not matches_type("url", "http://h:0/")
    assert not bulk_check("url")(["http://h:0/", "http://h:00"])
    assert matches_type("url", "http://h:080/")
    assert bulk_check("url")(["http://h:1/x"])


@given(st.sampled_from(TYPES), SAMPLES)
def test_bulk_check_agrees_with_each_value(type_name: str, values: list[str]) -> None:
    present = [value for value in values if value]
    expected = all(matches_type(type_name, value, CHOICES) for value in present)
    assert bulk_check(type_name, CHOICES)(present) == expected


@given(st.sampled_from(TYPES), SAMPLES, st.booleans())
def test_validate_values_finds_what_each_field_check_finds(
    type_name: str, values: list[str], required: bool
) -> None:
    fields = tuple(
        FieldSpec(f"V{i}", type=type_name, required=required, choices=CHOICES)
        for i in range(len(values) + 1)  # the last one is never set
    )
    found = validate_values({f"V{i}": value for i, value in enumerate(values)}, Schema(fields))
    expected = [
        (spec.name, problem[0])
        for spec, value in zip(fields, values, strict=False)
        if (problem := check_value(spec, value)) is not None
    ]
    if required:
        expected.append((fields[-1].name, "missing"))
    assert [(finding.name, finding.rule) for finding in found] == expected


@given(
    st.lists(
        st.tuples(st.sampled_from(TYPES), st.booleans(), st.one_of(st.none(), SAMPLES)),
        min_size=1,
        max_size=8,
    )
)
def test_check_plan_agrees_with_each_field_check_over_mixed_fields(
    rows: list[tuple[str, bool, list[str] | None]],
) -> None:
    """Mixed types and required flags, every field set or some unset: the one C-level gather of
    grouped and required values, and the per-group fallback, find what `check_value` finds."""
    fields = tuple(
        FieldSpec(f"V{i}", type=type_name, required=required, choices=CHOICES)
        for i, (type_name, required, _) in enumerate(rows)
    )
    values = {f"V{i}": sample[0] for i, (_, _, sample) in enumerate(rows) if sample}
    found = validate_values(values, Schema(fields))
    expected = []
    for spec in fields:
        if spec.name not in values:
            if spec.required:
                expected.append((spec.name, "missing"))
        elif (problem := check_value(spec, values[spec.name])) is not None:
            expected.append((spec.name, problem[0]))
    assert [(finding.name, finding.rule) for finding in found] == expected


def test_json_refuses_the_constants_no_other_json_reader_takes() -> None:
    # Python's json reads NaN and Infinity; JSON.parse, Go and jq refuse them (RFC 8259).
    for value in ("NaN", "Infinity", "-Infinity", '{"retries": NaN}', "[1, Infinity]"):
        assert not matches_type("json", value), value
        assert not bulk_check("json")([value]), value
    assert matches_type("json", '{"nan": "NaN", "n": 1e3}')


def test_a_float_beyond_a_doubles_range_is_not_a_number() -> None:
    # docs/schema.md: a float has no nan/inf, and 1e400 reads as infinity.
    for value in ("1e400", "-1e400", "9" * 400):
        assert not matches_type("float", value), value
    assert matches_type("float", "1.7e308")
    assert matches_type("float", "1e-400")  # underflows to 0.0: finite
