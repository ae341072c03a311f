"""Tests for templates: parsing defaults and schema, loading directories, rendering back."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envkeep.core.dotenv import NAME_PATTERN
from envkeep.core.errors import InputError, ParseError, UsageError
from envkeep.core.schema import FieldSpec, Schema
from envkeep.core.templates import (
    TEMPLATE_NAME,
    Template,
    load_templates,
    parse_template,
    render_template,
)

if TYPE_CHECKING:
    from pathlib import Path

SECRET = "hunter2-s3cr3t-Zq9"

POSTGRES = """\
# @required
DB_HOST=localhost
DB_USER=app
# @secret @required
DB_PASSWORD=
DB_NAME=app
DATABASE_URL=postgres://${DB_USER}:${DB_PASSWORD}@${DB_HOST}:5432/${DB_NAME}
"""


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


# --- parse_template -----------------------------------------------------------------------


def test_values_are_the_defaults_with_references_left_unexpanded() -> None:
    template = parse_template(POSTGRES, name="postgres", source="postgres.env")
    assert template.name == "postgres"
    assert template.source == "postgres.env"
    assert template.values == {
        "DB_HOST": "localhost",
        "DB_USER": "app",
        "DB_NAME": "app",
        "DATABASE_URL": "postgres://${DB_USER}:${DB_PASSWORD}@${DB_HOST}:5432/${DB_NAME}",
    }


def test_empty_value_means_no_default_but_the_field_stays_in_the_schema() -> None:
    template = parse_template(POSTGRES, name="postgres")
    assert "DB_PASSWORD" not in template.values
    assert template.schema.field("DB_PASSWORD") == FieldSpec(
        "DB_PASSWORD", required=True, secret=True, line=5
    )


def test_schema_fields_carry_the_default_and_no_example() -> None:
    template = parse_template(POSTGRES, name="postgres")
    assert template.schema.names == ("DB_HOST", "DB_USER", "DB_PASSWORD", "DB_NAME", "DATABASE_URL")
    assert template.schema.field("DB_HOST") == FieldSpec(
        "DB_HOST", required=True, default="localhost", line=2
    )
    assert all(spec.example is None for spec in template.schema.fields)


def test_annotated_empty_default_is_included_as_empty_text() -> None:
    template = parse_template("# @default=\nPREFIX=\nOTHER=\n", name="t")
    assert template.values == {"PREFIX": ""}
    spec = template.schema.field("PREFIX")
    assert spec is not None
    assert spec.default == ""


def test_default_annotation_on_an_empty_entry_gives_the_default() -> None:
    assert parse_template("# @default=info\nLEVEL=\n", name="t").values == {"LEVEL": "info"}


def test_value_and_default_annotation_together_are_a_parse_error_on_the_entry_line() -> None:
    with pytest.raises(ParseError) as caught:
        parse_template(f"A=1\n# @default=x\nB={SECRET}\n", name="t", source="t.env")
    assert caught.value.line == 3
    assert "'B'" in caught.value.message
    assert SECRET not in caught.value.message


def test_template_annotations_are_as_strict_as_a_schema() -> None:
    with pytest.raises(ParseError) as caught:
        parse_template("A=1\n# @colour=red\nB=2\n", name="t")
    assert caught.value.line == 2


@pytest.mark.parametrize("name", ["", "Postgres", "-x", "a b", "x" * 64, "../etc", "a.b"])
def test_invalid_template_name_is_a_usage_error(name: str) -> None:
    with pytest.raises(UsageError):
        parse_template("A=1\n", name=name)


@pytest.mark.parametrize("name", ["postgres", "redis-7", "a", "0x", "my_tpl", "x" * 63])
def test_valid_template_names_match_the_pattern(name: str) -> None:
    assert re.fullmatch(TEMPLATE_NAME, name)
    assert parse_template("A=1\n", name=name).name == name


# --- render_template ----------------------------------------------------------------------


def test_rendered_template_writes_defaults_as_values() -> None:
    rendered = render_template(parse_template(POSTGRES, name="postgres"))
    assert "# @required\nDB_HOST=localhost\n" in rendered
    assert "# @required @secret\nDB_PASSWORD=\n" in rendered
    assert "DATABASE_URL=postgres://${DB_USER}:${DB_PASSWORD}@${DB_HOST}:5432/${DB_NAME}\n" in (
        rendered
    )


def test_rendered_empty_default_keeps_its_annotation() -> None:
    assert "# @default=\nPREFIX=\n" in render_template(
        parse_template("# @default=\nPREFIX=\n", name="t")
    )


def without_lines(template: Template) -> Template:
    fields = tuple(replace(spec, line=None) for spec in template.schema.fields)
    return replace(template, schema=Schema(fields), source=None)


@st.composite
def templates(draw: st.DrawFn) -> Template:
    names = draw(st.lists(st.from_regex(NAME_PATTERN, fullmatch=True), max_size=5, unique=True))
    text = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"))
    fields = []
    for name in names:
        default = draw(st.none() | text)
        required = draw(st.booleans()) and default != ""  # an empty default breaks @required
        fields.append(
            FieldSpec(name, required=required, secret=draw(st.booleans()), default=default)
        )
    values = {spec.name: spec.default for spec in fields if spec.default is not None}
    return Template(name="generated", values=values, schema=Schema(tuple(fields)))


@given(templates())
def test_render_then_parse_gives_back_the_same_template(template: Template) -> None:
    parsed = parse_template(render_template(template), name="generated")
    assert without_lines(parsed) == template


# --- load_templates -----------------------------------------------------------------------


def test_load_reads_every_env_file_named_by_its_stem_sorted(tmp_path: Path) -> None:
    write(tmp_path, "redis.env", "REDIS_URL=redis://localhost:6379/0\n")
    write(tmp_path, "postgres.env", POSTGRES)
    write(tmp_path, "notes.txt", "# @bogus\n")
    loaded = load_templates([tmp_path])
    assert list(loaded) == ["postgres", "redis"]
    assert loaded["redis"].values == {"REDIS_URL": "redis://localhost:6379/0"}
    assert loaded["postgres"].source == str(tmp_path / "postgres.env")


def test_earlier_directory_wins_for_the_same_name(tmp_path: Path) -> None:
    project, user = tmp_path / "project", tmp_path / "user"
    write(project, "postgres.env", "DB_HOST=project-db\n")
    write(user, "postgres.env", "DB_HOST=user-db\n")
    write(user, "redis.env", "REDIS_URL=redis://cache\n")
    loaded = load_templates([project, user])
    assert loaded["postgres"].values == {"DB_HOST": "project-db"}
    assert loaded["redis"].values == {"REDIS_URL": "redis://cache"}


def test_missing_directory_is_skipped(tmp_path: Path) -> None:
    write(tmp_path / "user", "a.env", "A=1\n")
    assert list(load_templates([tmp_path / "absent", tmp_path / "user"])) == ["a"]


def test_no_directories_give_no_templates() -> None:
    assert load_templates([]) == {}


def test_bad_template_file_raises_its_parse_error_with_path_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.env", "A=1\n# @type=integer\nB=2\n")
    with pytest.raises(ParseError) as caught:
        load_templates([tmp_path])
    assert caught.value.source == str(path)
    assert caught.value.line == 2


def test_bad_file_in_a_shadowed_name_is_not_read(tmp_path: Path) -> None:
    write(tmp_path / "project", "db.env", "A=1\n")
    write(tmp_path / "user", "db.env", "# @bogus\nA=1\n")
    assert load_templates([tmp_path / "project", tmp_path / "user"])["db"].values == {"A": "1"}


def test_file_name_that_is_not_a_template_name_is_an_input_error(tmp_path: Path) -> None:
    write(tmp_path, "Postgres.env", "A=1\n")
    with pytest.raises(InputError, match=r"Postgres\.env"):
        load_templates([tmp_path])


def test_hidden_files_and_directories_named_env_are_ignored(tmp_path: Path) -> None:
    write(tmp_path, ".#postgres.env", "# @bogus\n")
    (tmp_path / "dir.env").mkdir()
    write(tmp_path, "ok.env", "A=1\n")
    assert list(load_templates([tmp_path])) == ["ok"]


def test_non_utf8_template_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "latin.env").write_bytes(b"A=caf\xe9\n")
    with pytest.raises(InputError, match="UTF-8"):
        load_templates([tmp_path])


def test_a_file_given_as_directory_is_an_input_error(tmp_path: Path) -> None:
    path = write(tmp_path, "file.env", "A=1\n")
    with pytest.raises(InputError, match="not a directory"):
        load_templates([path])
