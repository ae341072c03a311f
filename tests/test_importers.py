"""Importers: dotenv, JSON and YAML files become flat NAME -> text values, or a clear error."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envkeep.core.dotenv import NAME_PATTERN
from envkeep.core.errors import EnvkeepError, InputError, ParseError, UsageError
from envkeep.integrations.exporters import export
from envkeep.integrations.importers import (
    FORMATS,
    MAX_IMPORT_BYTES,
    ImportResult,
    detect_format,
    parse_import,
)

SECRET = "hunter2-s3cr3t-Zq9"

names = st.from_regex(NAME_PATTERN, fullmatch=True)
texts = st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"))
environments = st.dictionaries(names, texts, max_size=6)


def imported(text: str | bytes, fmt: str) -> dict[str, str]:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return parse_import(data, fmt=fmt, source="vars").values


def import_error(text: str | bytes, fmt: str, *, source: str = "vars") -> EnvkeepError:
    data = text.encode("utf-8") if isinstance(text, str) else text
    with pytest.raises(EnvkeepError) as caught:
        parse_import(data, fmt=fmt, source=source)
    return caught.value


def shown(error: EnvkeepError) -> str:
    return f"{error} {error.hint or ''}"


# --- detecting the format ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("path_name", "fmt"),
    [
        (".env", "dotenv"),
        (".env.production", "dotenv"),
        ("config/prod.env", "dotenv"),
        ("settings", "dotenv"),
        ("-", "dotenv"),
        ("secrets.json", "json"),
        ("SECRETS.JSON", "json"),
        ("values.yaml", "yaml"),
        ("deploy/values.yml", "yaml"),
        (".env.json", "json"),
    ],
)
def test_detect_format_goes_by_the_extension_and_defaults_to_dotenv(
    path_name: str, fmt: str
) -> None:
    assert detect_format(path_name) == fmt


def test_an_unknown_import_format_names_the_known_ones() -> None:
    error = import_error("A=1", "toml")

    assert isinstance(error, UsageError)
    assert all(fmt in shown(error) for fmt in FORMATS)


# --- dotenv -----------------------------------------------------------------------------


def test_dotenv_import_reads_values_with_the_dotenv_parser() -> None:
    assert imported("A=1\nexport B='x y'\nC=\"line\\nbreak\"\n", "dotenv") == {
        "A": "1",
        "B": "x y",
        "C": "line\nbreak",
    }


def test_dotenv_import_passes_duplicate_warnings_through() -> None:
    result = parse_import(b"A=1\nA=2\n", fmt="dotenv", source="vars")

    assert result == ImportResult(values={"A": "2"}, warnings=result.warnings)
    assert len(result.warnings) == 1
    assert "'A'" in result.warnings[0]


def test_dotenv_import_syntax_errors_keep_their_line() -> None:
    error = import_error(f"A=1\nB='{SECRET}\n", "dotenv", source="prod.env")

    assert isinstance(error, ParseError)
    assert error.line == 2
    assert SECRET not in shown(error)


# --- JSON and YAML: shapes --------------------------------------------------------------


def test_json_import_reads_a_flat_object_in_document_order() -> None:
    values = imported('{"B": "2", "A": "1", "C": "pässwörd ✓"}', "json")

    assert values == {"B": "2", "A": "1", "C": "pässwörd ✓"}
    assert list(values) == ["B", "A", "C"]


def test_yaml_import_reads_a_flat_mapping() -> None:
    assert imported("B: two words\nA: 'it''s'\n", "yaml") == {"B": "two words", "A": "it's"}


def test_json_import_flattens_nested_objects_with_underscores() -> None:
    document = {"db": {"host": "h", "port": 5432, "replica": {"host": "r"}}, "DEBUG": False}

    assert imported(json.dumps(document), "json") == {
        "db_host": "h",
        "db_port": "5432",
        "db_replica_host": "r",
        "DEBUG": "false",
    }


def test_yaml_import_flattens_nested_mappings_with_underscores() -> None:
    text = "db:\n  host: h\n  pool:\n    size: 5\nAPI_URL: https://x.test\n"

    assert imported(text, "yaml") == {
        "db_host": "h",
        "db_pool_size": "5",
        "API_URL": "https://x.test",
    }


def test_an_empty_nested_object_imports_nothing_and_warns() -> None:
    result = parse_import(b'{"A": "1", "cache": {}}', fmt="json", source="vars")

    assert result.values == {"A": "1"}
    assert result.warnings == ("key 'cache' is an empty object; nothing was imported",)


@pytest.mark.parametrize(
    ("scalar", "text"),
    [
        ('"plain text"', "plain text"),
        ("true", "true"),
        ("false", "false"),
        ("42", "42"),
        ("-7", "-7"),
        ("1.5", "1.5"),
        ("1e3", "1e3"),
        ("null", ""),
        ("[]", "[]"),
        ('[1, "a", true, null, {"k": [2.5]}]', '[1,"a",true,null,{"k":[2.5]}]'),
        ('["ü"]', '["ü"]'),
    ],
)
def test_json_scalars_and_lists_become_text(scalar: str, text: str) -> None:
    assert imported(f'{{"V": {scalar}}}', "json") == {"V": text}


@pytest.mark.parametrize(
    ("scalar", "text"),
    [
        ("plain text", "plain text"),
        ('"0012"', "0012"),
        ("'on'", "on"),
        ("true", "true"),
        ("on", "on"),
        ("42", "42"),
        ("1.5", "1.5"),
        ("null", ""),
        ("~", ""),
        ("", ""),
        ("[1, a, {k: v}]", '[1,"a",{"k":"v"}]'),
        ("2024-01-02", "2024-01-02"),
        ("2024-01-02 03:04:05", "2024-01-02 03:04:05"),
        ("[2024-01-02]", '["2024-01-02"]'),
        ("|\n  line one\n  line two", "line one\nline two\n"),
    ],
)
def test_yaml_scalars_and_lists_become_text(scalar: str, text: str) -> None:
    assert imported(f"V: {scalar}\n", "yaml") == {"V": text}


def test_a_utf8_byte_order_mark_is_ignored() -> None:
    assert imported(b'\xef\xbb\xbf{"A": "1"}', "json") == {"A": "1"}
    assert imported(b"\xef\xbb\xbfA: 1\n", "yaml") == {"A": "1"}


@pytest.mark.parametrize(
    ("text", "fmt", "got"),
    [
        ("[1, 2]", "json", "a list"),
        ('"text"', "json", "a string"),
        ("3", "json", "a number"),
        ("null", "json", "nothing"),
        ("- a\n- b\n", "yaml", "a list"),
        ("just text\n", "yaml", "a string"),
        ("# only a comment\n", "yaml", "nothing"),
    ],
)
def test_the_top_level_must_be_an_object(text: str, fmt: str, got: str) -> None:
    error = import_error(text, fmt)

    assert type(error) is InputError
    assert "expected an object of NAME: value at the top level" in str(error)
    assert f"got {got}" in str(error)


# --- JSON and YAML: names ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "path"),
    [
        ({"1abc": SECRET}, "'1abc'"),
        ({"has space": SECRET}, "'has space'"),
        ({"": SECRET}, "''"),
        ({"db": {"ho st": SECRET}}, "'db.ho st'"),
        ({"ключ": SECRET}, "'ключ'"),
    ],
)
def test_a_key_that_cannot_become_a_variable_name_is_refused_with_its_path(
    document: dict[str, object], path: str
) -> None:
    error = import_error(json.dumps(document), "json")

    assert type(error) is InputError
    assert path in str(error)
    assert SECRET not in shown(error)


@pytest.mark.parametrize(
    "document",
    [{"a_b": SECRET, "a": {"b": "2"}}, {"a": {"b": SECRET}, "a_b": "2"}],
)
def test_two_keys_flattening_to_one_name_are_refused_naming_both(
    document: dict[str, object],
) -> None:
    error = import_error(json.dumps(document), "json")

    assert type(error) is InputError
    assert "'a_b'" in str(error)
    assert "'a.b'" in str(error)
    assert SECRET not in shown(error)


@pytest.mark.parametrize(("text", "key"), [("~: x\n", "'None'"), ("true: x\n", "'True'")])
def test_a_yaml_key_that_is_not_text_is_refused_with_a_hint_to_quote_it(
    text: str, key: str
) -> None:
    error = import_error(text, "yaml")

    assert type(error) is InputError
    assert key in str(error)
    assert "quote" in shown(error)


# --- JSON and YAML: syntax and unsafe input ---------------------------------------------


def test_a_json_syntax_error_names_its_line() -> None:
    error = import_error(f'{{\n  "A": "{SECRET}",\n  "B": 2,\n}}', "json", source="prod.json")

    assert isinstance(error, ParseError)
    assert error.line == 4
    assert str(error).startswith("prod.json:4: invalid JSON")
    assert SECRET not in shown(error)


@pytest.mark.parametrize(
    ("text", "line"),
    [("a: 1\nb: 2\n  c: 3\n", 3), ("a: 1\nb: [1, 2\nc: 3\n", 3), ("a: b\n---\nc: d\n", 2)],
)
def test_a_yaml_syntax_error_names_its_line(text: str, line: int) -> None:
    error = import_error(text, "yaml", source="values.yaml")

    assert isinstance(error, ParseError)
    assert error.line == line
    assert str(error).startswith(f"values.yaml:{line}: invalid YAML")


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ('a: !!python/object/apply:os.system ["true"]\n', "!!python/object/apply:os.system"),
        ("a: !!python/name:os.system\n", "!!python/name:os.system"),
        ("a: !!python/object:collections.OrderedDict {}\n", "!!python/object:"),
        ("a: !custom x\n", "!custom"),
    ],
)
def test_yaml_tags_that_build_objects_are_refused(text: str, tag: str) -> None:
    error = import_error(text, "yaml")

    assert isinstance(error, ParseError)
    assert error.line == 1
    assert tag in str(error)


@pytest.mark.parametrize(
    ("text", "kind"), [("a: !!binary aGk=\n", "binary"), ("a: !!set {x}\n", "set")]
)
def test_yaml_values_that_are_not_text_data_are_refused(text: str, kind: str) -> None:
    error = import_error(text, "yaml")

    assert type(error) is InputError
    assert "'a'" in str(error)
    assert kind in str(error)


def test_a_yaml_scanner_error_does_not_quote_the_character_it_stopped_at() -> None:
    error = import_error('A: "abc\\q"\n', "yaml")

    assert isinstance(error, ParseError)
    assert "escape character" in str(error)
    assert "'q'" not in str(error)


@pytest.mark.parametrize(
    ("data", "fmt"),
    [(b"[" * 100_000, "json"), (b"a: " + b"[" * 10_000, "yaml")],
)
def test_absurdly_deep_nesting_is_refused(data: bytes, fmt: str) -> None:
    error = import_error(data, fmt)

    assert type(error) is InputError
    assert "nested too deeply" in str(error)


def test_deeply_nested_objects_are_refused_before_recursion_runs_out() -> None:
    document: dict[str, object] = {"leaf": "x"}
    for _ in range(100):
        document = {"k": document}

    assert "nested too deeply" in str(import_error(json.dumps(document), "json"))


def test_a_yaml_alias_bomb_is_refused_quickly() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    started = time.perf_counter()
    error = import_error("\n".join(lines), "yaml")

    assert type(error) is InputError
    assert "more than 100,000" in str(error)
    # Expanded, the bomb is billions of nodes: a bound this loose fails only without the limit.
    assert time.perf_counter() - started < 30


def test_a_nul_character_in_a_json_value_is_refused() -> None:
    error = import_error(json.dumps({"TOKEN": f"{SECRET}\x00"}), "json")

    assert "'TOKEN'" in str(error)
    assert "NUL" in str(error)
    assert SECRET not in shown(error)


def test_a_json_number_too_long_for_python_is_just_text() -> None:
    assert imported('{"A": ' + "9" * 5000 + "}", "json") == {"A": "9" * 5000}


@pytest.mark.parametrize(
    "scalar", ["!!int " + "9" * 5000, "!!int abc", "!!bool maybe", "!!timestamp x"]
)
def test_a_yaml_value_that_cannot_be_converted_is_an_input_error(scalar: str) -> None:
    error = import_error(f"A: {scalar}\n", "yaml")

    assert type(error) is InputError
    assert "cannot be converted" in str(error)
    assert error.hint == "quote it to import it as text"


def test_a_long_number_in_a_dotenv_file_is_just_text() -> None:
    assert imported("A=" + "9" * 5000, "dotenv") == {"A": "9" * 5000}


# --- size and encoding ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_input_over_the_limit_is_refused_before_it_is_read(fmt: str) -> None:
    data = b"A=1\n" * (50 * 1024 * 1024 // 4)
    error = import_error(data, fmt, source="huge.env")

    assert type(error) is InputError
    assert str(error) == "huge.env is 50.0 MB; imports are limited to 10 MB"
    assert error.hint is not None
    assert "split" in error.hint


def test_the_size_check_happens_before_decoding() -> None:
    error = import_error(b"\xff" * (MAX_IMPORT_BYTES + 1), "json")

    assert type(error) is InputError
    assert "limited to 10 MB" in str(error)


def test_an_input_of_exactly_the_limit_is_accepted() -> None:
    data = b"A=1\n#" + b"x" * (MAX_IMPORT_BYTES - 6) + b"\n"

    assert len(data) == MAX_IMPORT_BYTES
    assert imported(data, "dotenv") == {"A": "1"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_non_utf8_input_names_the_line_of_the_first_bad_byte(fmt: str) -> None:
    data = b"A=1\nB=2\nC=" + SECRET.encode() + b"\xff\xfe\n"
    error = import_error(data, fmt, source="latin1.env")

    assert isinstance(error, ParseError)
    assert error.line == 3
    assert str(error).startswith("latin1.env:3:")
    assert "UTF-8" in str(error)
    assert SECRET not in shown(error)


# --- values never appear in messages ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        (f'{{"A": "{SECRET}", "B": }}', "json"),
        (f'{{"A": "{SECRET}\x01"}}', "json"),
        (f'{{"A": "{SECRET}" "B": 1}}', "json"),
        (f"A: '{SECRET}\n", "yaml"),
        (f'A: "{SECRET}\\q"\n', "yaml"),
        (f"A: {SECRET}\nB: [1, {SECRET}\n", "yaml"),
        (f"A: {SECRET}\n\x01", "yaml"),
        (f"A: !!int {SECRET}\n", "yaml"),
        (f"A: !!bool {SECRET}\n", "yaml"),
        (f"A: !!timestamp {SECRET}\n", "yaml"),
        (f"A: !!binary {SECRET}\n", "yaml"),
        (f"A: [1, !!float {SECRET}]\n", "yaml"),
        (f'A="{SECRET}\n', "dotenv"),
    ],
)
def test_errors_never_contain_a_value(text: str, fmt: str) -> None:
    error = import_error(text, fmt)

    assert SECRET not in shown(error)


# --- round trips with the exporters -----------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(environments)
def test_json_import_round_trips_any_flat_object(values: dict[str, str]) -> None:
    assert imported(json.dumps(values), "json") == values


@settings(max_examples=100, deadline=None)
@given(environments)
def test_yaml_export_imports_back_to_the_same_values(values: dict[str, str]) -> None:
    assert imported(export(values, "yaml"), "yaml") == values


@settings(max_examples=100, deadline=None)
@given(environments)
def test_dotenv_export_imports_back_to_the_same_values_as_stored(values: dict[str, str]) -> None:
    stored = {name: value.replace("${", "$${") for name, value in values.items()}

    assert imported(export(values, "dotenv"), "dotenv") == stored
