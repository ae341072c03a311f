"""Tests for schemas: .env.example annotations, the envkeep.toml table, rendering, inference."""

from __future__ import annotations

import textwrap
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envkeep.core._section_breaks import reads_as_section_break
from envkeep.core.dotenv import NAME_PATTERN
from envkeep.core.errors import InputError, ParseError
from envkeep.core.schema import (
    ANNOTATIONS,
    TYPES,
    FieldSpec,
    Schema,
    infer_type,
    parse_env_example,
    render_env_example,
    schema_from_table,
)
from envkeep.core.schemarender import looks_secret
from envkeep.core.validate import check_value

SECRET = "hunter2-s3cr3t-Zq9"

EXAMPLE = """\
# The HTTP port the API listens on.
# @required @type=port
PORT=8080
# @type=enum(debug,info,warn,error) @default=info
LOG_LEVEL=
# @type=url @secret
DATABASE_URL=postgres://user:pass@localhost/db
# @type=int @min=1 @max=64
WORKERS=4
# @pattern=^[a-z]+$
REGION=eu
"""


def only_field(text: str) -> FieldSpec:
    schema = parse_env_example(text)
    assert len(schema.fields) == 1
    return schema.fields[0]


def parse_error(text: str, *, source: str | None = None) -> ParseError:
    with pytest.raises(ParseError) as caught:
        parse_env_example(text, source=source)
    return caught.value


def table_error(table: dict[str, object]) -> InputError:
    with pytest.raises(InputError) as caught:
        schema_from_table(table, source="envkeep.toml")
    return caught.value


# --- the example from the design --------------------------------------------------------


def test_design_example_parses_into_fields_in_file_order() -> None:
    schema = parse_env_example(EXAMPLE, source=".env.example")
    assert schema.source == ".env.example"
    assert schema.names == ("PORT", "LOG_LEVEL", "DATABASE_URL", "WORKERS", "REGION")
    assert schema.fields[0] == FieldSpec(
        name="PORT",
        type="port",
        required=True,
        description="The HTTP port the API listens on.",
        example="8080",
        line=3,
        example_line=3,
    )
    assert schema.fields[1] == FieldSpec(
        name="LOG_LEVEL",
        type="enum",
        choices=("debug", "info", "warn", "error"),
        default="info",
        line=5,
    )
    assert schema.fields[2].secret
    assert schema.fields[2].type == "url"
    assert (schema.fields[3].minimum, schema.fields[3].maximum) == (1.0, 64.0)
    assert schema.fields[4].pattern == "^[a-z]+$"


def test_entry_without_comments_is_an_optional_string_field() -> None:
    assert only_field("NAME=value\n") == FieldSpec(
        name="NAME", example="value", line=1, example_line=1
    )


def test_empty_example_value_is_no_example() -> None:
    assert only_field("NAME=\n").example is None


def test_example_value_is_not_a_default() -> None:
    spec = only_field("# @default=7\nWORKERS=4\n")
    assert (spec.example, spec.default) == ("4", "7")
    assert only_field("WORKERS=4\n").default is None


# --- each annotation ----------------------------------------------------------------------


def test_required_annotation_marks_field_required() -> None:
    assert only_field("# @required\nA=1\n").required
    assert not only_field("A=1\n").required


def test_secret_annotation_marks_field_secret() -> None:
    assert only_field("# @secret\nA=1\n").secret
    assert not only_field("A=1\n").secret


@pytest.mark.parametrize("type_name", [t for t in TYPES if t != "enum"])
def test_type_annotation_accepts_every_plain_type(type_name: str) -> None:
    assert only_field(f"# @type={type_name}\nA=\n").type == type_name


def test_type_defaults_to_string() -> None:
    assert only_field("A=1\n").type == "string"


def test_enum_type_lists_choices_in_order() -> None:
    spec = only_field("# @type=enum(b,a,c-1,x_y)\nA=\n")
    assert (spec.type, spec.choices) == ("enum", ("b", "a", "c-1", "x_y"))


def test_min_and_max_accept_integers_decimals_and_exponents() -> None:
    spec = only_field("# @min=-2.5 @max=1e3\nA=\n")
    assert (spec.minimum, spec.maximum) == (-2.5, 1000.0)


def test_pattern_is_the_rest_of_the_token() -> None:
    assert only_field("# @pattern=^[a-z]+(-[0-9]+)?$ trailing words\nA=\n").pattern == (
        "^[a-z]+(-[0-9]+)?$"
    )


def test_default_may_be_empty() -> None:
    assert only_field("# @default=\nA=\n").default == ""


def test_quoted_annotation_values_may_hold_spaces_and_escapes() -> None:
    spec = only_field('# @default="two words \\"q\\"" @pattern="two .+"\nA=\n')
    assert (spec.default, spec.pattern) == ('two words "q"', "two .+")


def test_annotations_may_spread_over_several_comment_lines() -> None:
    spec = only_field("# @required\n# @type=int\n# @min=1\nA=1\n")
    assert (spec.required, spec.type, spec.minimum) == (True, "int", 1.0)


# --- descriptions -------------------------------------------------------------------------


def test_description_is_the_free_text_of_the_comment_block() -> None:
    spec = only_field(
        "# The number of worker\n#   processes. @type=int\n# @min=1 (at least one)\nW=4\n"
    )
    assert spec.description == "The number of worker processes. (at least one)"


def test_field_without_free_text_has_no_description() -> None:
    assert only_field("# @required\nA=1\n").description is None


def test_email_addresses_in_descriptions_are_not_annotations() -> None:
    assert only_field("# Ask ops@example.com\nA=1\n").description == "Ask ops@example.com"


def test_comment_separated_by_blank_line_is_ignored() -> None:
    spec = only_field("# A header about the file.\n\nA=1\n")
    assert spec.description is None


def test_comment_block_stops_at_the_previous_entry() -> None:
    schema = parse_env_example("# first\nA=1\n# second\nB=2\n")
    assert [spec.description for spec in schema.fields] == ["first", "second"]


def test_comment_lines_inside_a_multiline_value_are_not_annotations() -> None:
    schema = parse_env_example('A="one\n# @bogus not a comment"\nB=2\n')
    assert schema.fields[0].example == "one\n# @bogus not a comment"
    assert schema.fields[1] == FieldSpec(name="B", example="2", line=3, example_line=3)


# --- errors with line numbers -------------------------------------------------------------


def test_unknown_annotation_names_it_and_its_line_and_lists_known_ones() -> None:
    error = parse_error("A=1\n# comment\n# @required @colour=red\nB=2\n", source=".env.example")
    assert error.line == 3
    assert error.source == ".env.example"
    assert "@colour" in error.message
    assert ".env.example:3:" in error.message
    assert error.hint is not None
    assert all(f"@{name}" in error.hint for name in ANNOTATIONS)


def test_section_style_comment_is_an_unknown_annotation_even_when_detached() -> None:
    error = parse_error("# @section Database\n\nA=1\n")
    assert error.line == 1
    assert "@section" in error.message


def test_known_annotation_not_directly_above_a_variable_is_an_error() -> None:
    error = parse_error("A=1\n\n# @required\n\nB=2\n")
    assert error.line == 3
    assert "not directly above" in error.message


def test_annotation_after_the_last_entry_is_an_error() -> None:
    assert parse_error("A=1\n# @secret\n").line == 2


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("@type=", "@type"),
        ("@type", "@type"),
        ("@type=integer", "unknown type"),
        ("@type=INT", "unknown type"),
        ("@type=enum", "choices"),
        ("@type=enum()", "enum"),
        ("@type=enum(a,,b)", "enum"),
        ("@type=enum(a,a)", "twice"),
        ("@min=abc", "@min"),
        ("@min=", "@min"),
        ("@max=1_000", "@max"),
        ("@max=nan", "@max"),
        ("@min=1e999", "out of range"),
        ("@min=5 @max=1", "greater than"),
        ("@pattern=[a-z", "regular expression"),
        ("@pattern=", "regular expression"),
        ("@required=yes", "takes no value"),
        ("@secret=true", "takes no value"),
        ("@default", "needs a value"),
        ('@default="unterminated', "quoted"),
        ("@required @required", "twice"),
        ("@", "unknown annotation"),
    ],
)
def test_malformed_annotation_is_a_parse_error_on_its_line(comment: str, expected: str) -> None:
    error = parse_error(f"A=1\n\n# description\n# {comment}\nNAME=x\n")
    assert error.line == 4
    assert expected in error.message
    assert "'NAME'" in error.message


def test_variable_declared_twice_with_different_annotations_is_an_error_naming_both_lines() -> None:
    error = parse_error("# @required\nA=1\nB=2\n# @secret\nA=3\n", source="x")
    assert error.line == 5
    assert "lines 2 and 5" in error.message
    assert error.message.startswith("x:5: ")


def test_dotenv_syntax_errors_propagate_with_their_line() -> None:
    assert parse_error("A=1\nnot an entry\n").line == 2


def test_parse_errors_never_contain_the_example_value() -> None:
    for text in (
        f"# @min=abc\nA={SECRET}\n",
        f"# @bogus\nA={SECRET}\n",
        f"# @required\nA={SECRET}\n# @secret\nA={SECRET}\n",
        f"# @type=enum(x) @default={SECRET} @min=3 @max=1\nA=\n",
    ):
        error = parse_error(text)
        assert SECRET not in error.message
        assert SECRET not in (error.hint or "")


arbitrary_example_text = st.lists(
    st.sampled_from([*"AB_x1 \t\n=#'\"\\$.-@()", "@type=", "@min=", "enum(", "@required"])
).map("".join)


@given(arbitrary_example_text)
def test_parser_raises_only_parse_errors_on_arbitrary_text(text: str) -> None:
    outcome = parse_outcome(text)
    if isinstance(outcome, ParseError):
        assert outcome.line is not None
    else:
        assert len(set(outcome.names)) == len(outcome.fields)


def parse_outcome(text: str) -> Schema | ParseError:
    try:
        return parse_env_example(text)
    except ParseError as error:
        return error


# --- Schema methods -----------------------------------------------------------------------


def test_field_looks_up_by_name() -> None:
    schema = parse_env_example(EXAMPLE)
    port = schema.field("PORT")
    assert port is not None
    assert port.type == "port"
    assert schema.field("MISSING") is None


def test_merged_with_overrides_same_named_fields_in_place_and_appends_new_ones() -> None:
    base = Schema((FieldSpec("A"), FieldSpec("B", type="int"), FieldSpec("C")), source="base")
    other = Schema((FieldSpec("B", type="port", required=True), FieldSpec("D")))
    merged = base.merged_with(other)
    assert merged.names == ("A", "B", "C", "D")
    assert merged.field("B") == FieldSpec("B", type="port", required=True)
    assert merged.source == "base"
    assert base.field("B") == FieldSpec("B", type="int")


# --- the envkeep.toml table ---------------------------------------------------------------


def test_table_value_may_be_a_type_string() -> None:
    schema = schema_from_table({"WORKERS": "int", "MODE": "enum(a,b)"}, source="envkeep.toml")
    assert schema.fields == (
        FieldSpec("WORKERS", type="int"),
        FieldSpec("MODE", type="enum", choices=("a", "b")),
    )
    assert schema.source == "envkeep.toml"


def test_table_value_may_be_a_table_with_every_key() -> None:
    schema = schema_from_table(
        {
            "PORT": {
                "type": "port",
                "required": True,
                "min": 1024,
                "max": 65535.0,
                "pattern": "[0-9]+",
                "secret": False,
                "default": "8080",
                "description": "The  HTTP\nport.",
                "example": "9000",
            },
            "LEVEL": {"type": "enum", "choices": ["debug", "info"], "secret": True},
        }
    )
    assert schema.fields == (
        FieldSpec(
            "PORT",
            type="port",
            required=True,
            minimum=1024.0,
            maximum=65535.0,
            pattern="[0-9]+",
            default="8080",
            description="The HTTP port.",
            example="9000",
        ),
        FieldSpec("LEVEL", type="enum", choices=("debug", "info"), secret=True),
    )


def test_table_numbers_and_booleans_given_as_default_become_text() -> None:
    schema = schema_from_table({"A": {"default": 8080}, "B": {"default": True}})
    assert [spec.default for spec in schema.fields] == ["8080", "true"]


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ({"A": 5}, "type name or a table"),
        ({"A": "integer"}, "unknown type"),
        ({"A": "enum"}, "choices"),
        ({"A": {"type": 5}}, "'type'"),
        ({"A": {"colour": "red"}}, "'colour'"),
        ({"A": {"required": "yes"}}, "'required'"),
        ({"A": {"secret": 1}}, "'secret'"),
        ({"A": {"min": "1"}}, "'min'"),
        ({"A": {"max": True}}, "'max'"),
        ({"A": {"max": float("inf")}}, "'max'"),
        ({"A": {"max": 10**400}}, "'max'"),
        ({"A": {"min": 9, "max": 1}}, "greater than"),
        ({"A": {"pattern": "[a-"}}, "'pattern'"),
        ({"A": {"pattern": 1}}, "'pattern'"),
        ({"A": {"description": 1}}, "'description'"),
        ({"A": {"default": [1]}}, "'default'"),
        ({"A": {"choices": ["a"]}}, "'choices'"),
        ({"A": {"type": "enum", "choices": "a,b"}}, "'choices'"),
        ({"A": {"type": "enum", "choices": []}}, "choices"),
        ({"A": {"type": "enum", "choices": ["a b"]}}, "enum choice"),
        ({"A": {"type": "enum", "choices": ["a", 1]}}, "choices"),
        ({"A": {"type": "enum(a)", "choices": ["a"]}}, "'choices'"),
    ],
)
def test_bad_table_entries_are_input_errors_naming_the_variable(
    table: dict[str, object], expected: str
) -> None:
    error = table_error(table)
    assert not isinstance(error, ParseError)
    assert "'A'" in error.message
    assert expected in error.message
    assert error.message.startswith("envkeep.toml: ")


def test_invalid_variable_name_in_table_is_an_input_error() -> None:
    assert "invalid variable name" in table_error({"1BAD": "int"}).message


def test_table_errors_never_contain_values() -> None:
    error = table_error({"A": {"default": SECRET, "example": SECRET, "min": "x"}})
    assert SECRET not in error.message
    assert SECRET not in (error.hint or "")


# --- rendering ----------------------------------------------------------------------------


def test_rendered_design_example_parses_back_to_the_same_fields() -> None:
    schema = parse_env_example(EXAMPLE)
    rendered = render_env_example(schema)
    assert "# @required @type=port\nPORT=8080\n" in rendered
    assert without_lines(parse_env_example(rendered)) == without_lines(schema)


def test_rendering_quotes_annotation_values_with_spaces() -> None:
    rendered = render_env_example(Schema((FieldSpec("A", default="a b", pattern="x y"),)))
    assert '@pattern="x y"' in rendered
    assert '@default="a b"' in rendered


def test_rendering_a_description_word_starting_with_at_is_an_input_error() -> None:
    with pytest.raises(InputError, match="'A'"):
        render_env_example(Schema((FieldSpec("A", description="ping @alice"),)))


@pytest.mark.parametrize(
    "spec",
    [
        FieldSpec("A", type="enum"),
        FieldSpec("A", type="enum", choices=("a b",)),
        FieldSpec("A", type="x"),
    ],
)
def test_rendering_an_inexpressible_type_is_an_input_error(spec: FieldSpec) -> None:
    with pytest.raises(InputError, match="'A'"):
        render_env_example(Schema((spec,)))


def without_lines(schema: Schema) -> tuple[FieldSpec, ...]:
    return tuple(replace(spec, line=None, example_line=None) for spec in schema.fields)


no_surrogates = st.characters(blacklist_categories=["Cs"])
choice = st.from_regex(r'[^\s,()"\x00-\x1f\x7f]+', fullmatch=True).filter(
    lambda text: all(not char.isspace() for char in text)
)
number = st.floats(allow_nan=False, allow_infinity=False)


def _wrapped(text: str) -> list[str]:
    """The description's lines as `render_env_example` writes them."""
    return textwrap.wrap(text, width=96, break_long_words=False, break_on_hyphens=False)


descriptions = (
    st.text(no_surrogates)
    .map(
        lambda text: " ".join(w for w in text.split() if not w.startswith("@") and "\x00" not in w)
    )
    .filter(lambda text: not any(reads_as_section_break(line) for line in _wrapped(text)))
)
patterns = st.sampled_from(["^[a-z]+$", "a b", '"x"', r"\d{3}", "(?i)abc", "#x", "", "=@="])


@st.composite
def field_specs(draw: st.DrawFn, name: str) -> FieldSpec:
    type_name = draw(st.sampled_from(TYPES))
    choices = (
        draw(st.lists(choice, min_size=1, max_size=4, unique=True)) if type_name == "enum" else []
    )
    bounds = sorted(draw(st.lists(number, min_size=2, max_size=2)))
    pattern = draw(patterns)
    spec = FieldSpec(
        name=name,
        type=type_name,
        required=draw(st.booleans()),
        default=draw(st.none() | st.text(no_surrogates)),
        secret=draw(st.booleans()),
        description=draw(descriptions) or None,
        minimum=draw(st.sampled_from([None, bounds[0]])),
        maximum=draw(st.sampled_from([None, bounds[1]])),
        pattern=pattern or None,
        choices=tuple(choices),
        example=draw(st.text(no_surrogates.filter(lambda c: c != "\x00"))) or None,
    )
    return without_refused_default(spec)


def without_refused_default(spec: FieldSpec) -> FieldSpec:
    """``spec`` without a default its own rules refuse (the parser refuses those)."""
    if spec.default is not None and check_value(spec, spec.default) is not None:
        return replace(spec, default=None)
    return spec


@st.composite
def schemas(draw: st.DrawFn) -> Schema:
    names = draw(st.lists(st.from_regex(NAME_PATTERN, fullmatch=True), max_size=5, unique=True))
    return Schema(tuple(draw(field_specs(name)) for name in names))


@given(schemas())
def test_render_then_parse_gives_back_the_same_fields(schema: Schema) -> None:
    assert without_lines(parse_env_example(render_env_example(schema))) == schema.fields


# --- infer_type ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("8080", "int"),
        ("-3", "int"),
        ("1.5", "float"),
        ("2e3", "float"),
        ("true", "bool"),
        ("FALSE", "bool"),
        ("http://example.com/x", "url"),
        ("postgres://u:p@db:5432/app", "url"),
        ("a@b.co", "email"),
        ('{"a":1}', "json"),
        ("[1, 2]", "json"),
        ("30s", "duration"),
        ("1h30m", "duration"),
        ("250ms", "duration"),
        ("hello", "string"),
        ("", "string"),
        ("{not json", "string"),
        ('"quoted"', "string"),
        ("yes", "string"),
    ],
)
def test_infer_type_guesses_from_a_stored_value(value: str, expected: str) -> None:
    assert infer_type(value) == expected


@given(st.text(no_surrogates))
def test_infer_type_always_returns_a_known_type(value: str) -> None:
    assert infer_type(value) in TYPES


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("DB_PASSWORD", True),
        ("GITHUB_TOKEN", True),
        ("STRIPE_API_KEY", True),
        ("AWS_SECRET_ACCESS_KEY", True),
        ("private_key", True),
        ("DB_PASS", True),
        ("SMTP_PASSPHRASE", True),
        ("APIKEY", True),
        ("GOOGLE_APPLICATION_CREDENTIAL", True),
        ("GH_PAT", True),
        ("BASIC_AUTH", True),
        ("AWS_ACCESS_KEY_ID", False),  # an id, not the key
        ("MONKEY", False),
        ("LOG_LEVEL", False),
        ("PASSPORT_COUNTRY", False),
        ("BYPASS_CACHE", False),
        ("AUTH_URL", False),  # AUTH and PAT say so only as the last part
        ("OAUTH_CLIENT_ID", False),
        ("PAT_EXPIRY_DAYS", False),
        ("PATH", False),
    ],
)
def test_a_first_schema_marks_secret_the_names_that_say_so(name: str, secret: bool) -> None:
    assert looks_secret(name) is secret


@pytest.mark.parametrize(
    ("text", "line", "key"),
    [
        ("SIGNING_SALT=changeme # @secret\n", 1, "secret"),
        ("A=1\n\nB='x y'  #@required note\n", 3, "required"),
        ('C="quoted # not a comment" # @type=int\n', 1, "type"),
    ],
)
def test_an_annotation_after_a_value_on_its_line_is_an_error_naming_the_line(
    text: str, line: int, key: str
) -> None:
    with pytest.raises(ParseError) as refused:
        parse_env_example(text, source=".env.example")
    assert refused.value.line == line
    assert f"annotation '@{key}' follows" in refused.value.message
    assert "right above" in str(refused.value.hint)


def test_other_words_after_a_value_are_left_alone() -> None:
    schema = parse_env_example("# @secret\nA=x # ask @ops, or mail a@b.io\nB=y # plain\n")
    assert [(f.name, f.secret) for f in schema.fields] == [("A", True), ("B", False)]


def test_an_enum_cut_at_a_space_says_to_drop_the_spaces() -> None:
    # `@type=enum(a, b)` is common: an annotation's value ends at the first space.
    error = parse_error("# @type=enum(debug, info)\nLOG_LEVEL=\n")
    assert error.line == 1
    assert "without spaces" in error.message
    assert "enum(a,b)" in error.message
