"""A schema's default is checked against its own declaration when the schema is read: in a
``.env.example`` (``@default``), an envkeep.toml table (``default``) and a template (the
entry's value), with validation's own checks; a default holding ``${`` is left to resolution."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envkeep.core.errors import InputError, ParseError
from envkeep.core.schema import (
    TYPES,
    FieldSpec,
    Schema,
    parse_env_example,
    render_env_example,
    schema_from_table,
)
from envkeep.core.templates import parse_template
from envkeep.core.validate import check_value

SECRET = "hunter2-s3cr3t-Zq9"


def parse_error(text: str) -> ParseError:
    with pytest.raises(ParseError) as caught:
        parse_env_example(text, source="web/.env.example")
    return caught.value


@pytest.mark.parametrize(
    ("text", "line", "name", "rule"),
    [
        ("# @type=enum(a,b) @default=c\nMODE=\n", 1, "MODE", "enum: expected one of: a, b"),
        ("# @type=port @default=99999\nPORT=\n", 1, "PORT", "type: expected a port number"),
        ("# @type=int @min=1 @max=5 @default=10\nW=\n", 1, "W", "range: must be at most 5"),
        ("# @type=float @min=0.5 @default=0.25\nF=\n", 1, "F", "range: must be at least 0.5"),
        ("# @type=duration @max=60 @default=2m\nT=\n", 1, "T", "range: must be at most 60 sec"),
        ("# @max=3 @default=abcd\nS=\n", 1, "S", "range: must be at most 3 characters"),
        ("# @min=3 @default=ab\nS=\n", 1, "S", "range: must be at least 3 characters"),
        ("# @pattern=^[a-z]+$ @default=EU\nR=\n", 1, "R", "pattern: must match the pattern"),
        ("# @type=url @default=sqlite:///app.db\nU=\n", 1, "U", "type: expected a URL"),
        ("# @type=bool @default=maybe\nB=\n", 1, "B", "type: expected a boolean"),
        ("# @required @default=\nA=\n", 1, "A", "empty: required but empty"),
        ("A=1\n# Two lines.\n# @default=x\n# @type=int\nB=\n", 3, "B", "type: expected an int"),
    ],
)
def test_a_default_its_own_annotations_refuse_is_a_parse_error_on_its_line(
    text: str, line: int, name: str, rule: str
) -> None:
    error = parse_error(text)

    assert error.line == line
    assert error.message.startswith(f"web/.env.example:{line}: @default of {name!r} ")
    assert rule in error.message
    assert "@default" in (error.hint or "")


def test_a_refused_default_is_never_shown_even_when_secret() -> None:
    for text in (
        f"# @secret @pattern=^sk_[a-z]+$ @default={SECRET}\nKEY=\n",
        f"# @type=enum(a,b) @default={SECRET}\nMODE=\n",
        f"# @max=3 @default={SECRET}\nS=\n",
    ):
        error = parse_error(text)
        assert SECRET not in error.message
        assert SECRET not in (error.hint or "")


@pytest.mark.parametrize(
    "annotations",
    [
        "@type=enum(a,b) @default=b",
        "@type=port @default=8080",
        "@type=int @min=1 @max=5 @default=5",
        "@type=duration @max=60 @default=1m",
        "@min=2 @max=4 @default=abc",
        "@pattern=^[a-z]+$ @default=eu",
        "@secret @type=url @default=https://example.com",
        "@default=",  # empty, not required: an empty optional value is valid
        "@type=int @default=",
        "@required @default=x",
    ],
)
def test_a_default_its_annotations_accept_is_kept(annotations: str) -> None:
    spec = parse_env_example(f"# {annotations}\nA=\n").fields[0]

    assert spec.default is not None
    assert check_value(spec, spec.default) is None


@pytest.mark.parametrize(
    "default", ["${BASE_PORT}", "${api.PORT}", "${HOST}:${PORT}", "$${x}${PORT}", "${unterminated"]
)
def test_a_default_holding_a_reference_is_left_for_resolution_to_judge(default: str) -> None:
    spec = parse_env_example(f'# @type=port @default="{default}"\nPORT=\n').fields[0]

    assert spec.default == default


def test_an_escaped_dollar_brace_is_checked_as_the_literal_a_service_sees() -> None:
    assert "pattern" in parse_error("# @pattern=^[a-z]+$ @default=$${x}\nA=\n").message
    spec = parse_env_example("# @pattern=^[$][{]x[}]$ @default=$${x}\nA=\n").fields[0]
    assert spec.default == "$${x}"


def test_min_above_max_is_still_reported_as_such_before_the_default() -> None:
    error = parse_error("# @type=int @default=10 @min=5 @max=1\nA=\n")

    assert "greater than the maximum" in error.message


def test_the_example_value_is_not_a_default_and_is_not_checked() -> None:
    spec = parse_env_example("# @type=port @default=8080\nPORT=not-a-port\n").fields[0]

    assert (spec.example, spec.default) == ("not-a-port", "8080")


@given(st.sampled_from([t for t in TYPES if t != "enum"]), st.text(), st.booleans())
def test_a_rendered_default_parses_back_exactly_when_validation_accepts_it(
    type_name: str, default: str, required: bool
) -> None:
    spec = FieldSpec("A", type=type_name, default=default, required=required)
    text = render_env_example(Schema((spec,)))
    refers = "${" in default.replace("$${", "")  # a reference, or an unterminated ${
    seen = default.replace("$${", "${")
    accepted = refers or check_value(spec, seen) is None

    if accepted:
        assert parse_env_example(text).fields[0].default == default
    else:
        with pytest.raises(ParseError, match="@default of 'A'"):
            parse_env_example(text)


# --- the envkeep.toml table ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "rule"),
    [
        ({"type": "enum", "choices": ["a", "b"], "default": "c"}, "enum: expected one of: a, b"),
        ({"type": "port", "default": 99999}, "type: expected a port number"),
        ({"type": "int", "min": 1, "max": 5, "default": 10}, "range: must be at most 5"),
        ({"pattern": "^[a-z]+$", "default": SECRET, "secret": True}, "pattern: must match"),
        ({"required": True, "default": ""}, "empty: required but empty"),
    ],
)
def test_a_table_default_its_own_keys_refuse_is_an_input_error(
    entry: dict[str, object], rule: str
) -> None:
    with pytest.raises(InputError) as caught:
        schema_from_table({"A": entry}, source="envkeep.toml [services.api.schema]")

    message = caught.value.message
    assert message.startswith("envkeep.toml [services.api.schema]: schema of 'A': 'default' ")
    assert rule in message
    assert SECRET not in message
    assert "'default'" in (caught.value.hint or "")


def test_a_table_default_its_keys_accept_or_a_reference_is_kept() -> None:
    schema = schema_from_table(
        {"A": {"type": "port", "default": 8080}, "B": {"type": "port", "default": "${A}"}}
    )

    assert [spec.default for spec in schema.fields] == ["8080", "${A}"]


# --- templates: the entry's value is its default --------------------------------------------


def test_a_template_value_its_annotations_refuse_is_a_parse_error_on_the_entry_line() -> None:
    with pytest.raises(ParseError) as caught:
        parse_template("HOST=db\n# @type=port\nPORT=99999\n", name="pg", source="pg.env")

    assert caught.value.line == 3
    assert "'PORT'" in caught.value.message
    assert "type: expected a port number" in caught.value.message


def test_a_template_default_annotation_is_checked_too() -> None:
    with pytest.raises(ParseError, match="enum: expected one of: a, b"):
        parse_template("# @type=enum(a,b) @default=c\nMODE=\n", name="t")


def test_template_values_that_pass_or_refer_to_others_are_kept() -> None:
    template = parse_template(
        "# @type=port\nPORT=5432\n# @type=url\nURL=tcp://${HOST}:${PORT}\n# @required\nPW=\n",
        name="pg",
    )

    assert template.values == {"PORT": "5432", "URL": "tcp://${HOST}:${PORT}"}
