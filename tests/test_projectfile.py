"""envkeep.toml: parsing, walking up, and edits that keep what the user wrote."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from envkeep.core.errors import InputError, ParseError
from envkeep.core.projectfile import ServiceEntry, find_project_file, parse_project_file
from envkeep.core.projectfile_edits import (
    render_project_file,
    with_service_section,
    with_service_setting,
    with_top_setting,
    without_service_section,
)

if TYPE_CHECKING:
    from pathlib import Path

TEXT = """# our project
project = "shop"
default_env = "dev"

[services.api]   # the public API
path = "services/api"
templates = ["postgres"]

[services.api.schema]
PORT = "port"

[services.worker]
path = "services/worker"
"""


def test_a_project_file_is_found_from_a_subdirectory(tmp_path: Path) -> None:
    (tmp_path / "envkeep.toml").write_text(TEXT)
    deep = tmp_path / "services" / "api" / "src"
    deep.mkdir(parents=True)
    assert find_project_file(deep) == tmp_path / "envkeep.toml"


def test_services_with_paths_templates_and_schema_tables_are_read(tmp_path: Path) -> None:
    project = parse_project_file(TEXT, tmp_path)
    api = project.service("api")
    assert api is not None
    assert api.path == "services/api"
    assert api.templates == ("postgres",)
    assert api.schema_table == {"PORT": "port"}
    assert project.service("nope") is None


def test_a_toml_syntax_error_names_its_line(tmp_path: Path) -> None:
    with pytest.raises(ParseError) as error:
        parse_project_file('project = "shop"\n[services.api\n', tmp_path)
    assert error.value.line == 2


def test_a_toml_syntax_error_keeps_its_column_and_says_what_toml_wants(tmp_path: Path) -> None:
    """tomllib's "(at line 2, column 15)" was cut off with its column, and at the end of the
    file (a list left open) with all of it: `envkeep.toml: Invalid value`, and no hint."""
    with pytest.raises(ParseError) as unquoted:
        parse_project_file('project = "shop"\ndefault_env = dev\n', tmp_path)
    with pytest.raises(ParseError) as left_open:
        parse_project_file('project = "shop"\nenvironments = ["dev",\n', tmp_path)

    assert unquoted.value.message == f"{tmp_path / 'envkeep.toml'}:2: Invalid value (column 15)"
    assert left_open.value.message.endswith("envkeep.toml: Invalid value (at end of document)")
    for error in (unquoted.value, left_open.value):
        assert error.hint is not None
        assert 'strings are quoted (default_env = "dev")' in error.hint


def test_a_missing_project_name_says_what_to_add(tmp_path: Path) -> None:
    with pytest.raises(InputError) as error:
        parse_project_file('default_env = "dev"\n', tmp_path)
    assert error.value.hint == 'add: project = "NAME"'


def test_adding_a_service_appends_a_section_and_keeps_comments(tmp_path: Path) -> None:
    text = with_service_section(TEXT, ServiceEntry("web", path="web", schema="web/.env.example"))
    assert text.startswith(TEXT.rstrip("\n"))
    assert '[services.web]\npath = "web"\nschema = "web/.env.example"\n' in text
    assert parse_project_file(text, tmp_path).service("web") is not None


def test_adding_a_service_the_file_declares_changes_nothing() -> None:
    assert with_service_section(TEXT, ServiceEntry("api", path="elsewhere")) == TEXT


def test_removing_a_service_removes_its_sub_tables_too(tmp_path: Path) -> None:
    text = without_service_section(TEXT, "api")
    assert "services.api" not in text
    assert "# our project" in text
    assert [s.name for s in parse_project_file(text, tmp_path).services] == ["worker"]


def test_a_setting_is_replaced_in_place_or_added_after_the_header(tmp_path: Path) -> None:
    text = with_service_setting(TEXT, "api", "templates", ["postgres", "redis"])
    text = with_service_setting(text, "worker", "schema", "services/worker/.env.example")
    project = parse_project_file(text, tmp_path)
    assert project.service("api") == ServiceEntry(
        "api", "services/api", None, {"PORT": "port"}, ("postgres", "redis")
    )
    worker = project.service("worker")
    assert worker is not None
    assert worker.schema == "services/worker/.env.example"
    assert "[services.api]   # the public API" in text


def test_setting_a_key_of_an_undeclared_service_is_an_error() -> None:
    with pytest.raises(InputError):
        with_service_setting(TEXT, "web", "path", "web")


def test_a_rendered_project_file_parses_back(tmp_path: Path) -> None:
    text = render_project_file('shop "x"', default_env="qa", environments=("qa", "prod"))
    project = parse_project_file(text, tmp_path)
    assert (project.project, project.default_env, project.environments) == (
        'shop "x"',
        "qa",
        ("qa", "prod"),
    )


SUB_TABLE_ONLY = """project = "shop"

[services.api.schema]
PORT = "port"

[services.worker]
path = "services/worker"
"""


@pytest.mark.parametrize("key", ["path", "templates"])
def test_a_setting_goes_into_the_services_own_table_never_into_its_schema_table(
    key: str, tmp_path: Path
) -> None:
    value: str | list[str] = ["postgres"] if key == "templates" else "services/api"
    for text in (TEXT, SUB_TABLE_ONLY):
        edited = with_service_setting(text, "api", key, value)
        api = parse_project_file(edited, tmp_path).service("api")
        assert api is not None
        assert api.schema_table == {"PORT": "port"}  # the schema table is untouched
        assert getattr(api, key) == (tuple(value) if isinstance(value, list) else value)


def test_a_value_with_a_del_character_stays_valid_toml(tmp_path: Path) -> None:
    text = with_service_setting(TEXT, "worker", "path", "odd\x7fname")
    worker = parse_project_file(text, tmp_path).service("worker")
    assert worker is not None
    assert worker.path == "odd\x7fname"


SPREAD = """project = "shop"
default_env = "dev"  # what a bare command uses
environments = [
  "dev",
  "prod",
]  # every stage we deploy

[services.api]
path = "services/#api"	# checked out here
templates = [
  "postgres",
]
"""


def test_a_value_written_over_several_lines_is_replaced_whole(tmp_path: Path) -> None:
    text = with_top_setting(SPREAD, "environments", ["dev", "production"])
    text = with_service_setting(text, "api", "templates", ["redis"])
    project = parse_project_file(text, tmp_path)
    assert project.environments == ("dev", "production")
    assert project.service("api") == ServiceEntry("api", "services/#api", templates=("redis",))
    assert '"prod",' not in text
    assert "\n]" not in text  # the closing line of the old array is gone too


def test_a_comment_after_a_replaced_value_is_kept() -> None:
    text = with_top_setting(SPREAD, "default_env", "qa")
    text = with_top_setting(text, "environments", ["qa"])
    text = with_service_setting(text, "api", "path", "svc/api")
    assert 'default_env = "qa"  # what a bare command uses' in text
    assert 'environments = ["qa"]  # every stage we deploy' in text
    assert 'path = "svc/api"\t# checked out here' in text


def test_the_service_a_directory_belongs_to_is_the_deepest_inside_the_project(
    tmp_path: Path,
) -> None:
    root, outside = tmp_path / "shop", tmp_path / "elsewhere"
    for directory in ("services/api/src", "services/api/admin", "services/web", "linked-target"):
        (root / directory).mkdir(parents=True)
    outside.mkdir()
    (root / "services" / "out").symlink_to(outside)
    project = parse_project_file(
        """project = "shop"
[services.api]
path = "services/api"
[services.admin]
path = "services/api/admin"
[services.web]
path = "./services/web/"
[services.whole]
path = "."
[services.above]
path = ".."
[services.absolute]
path = "/"
[services.escaped]
path = "services/out"
[services.nowhere]
""",
        root,
    )

    assert project.service_at(root / "services" / "api" / "src") == "api"
    assert project.service_at(root / "services" / "api" / "admin") == "admin"  # the deepest
    assert project.service_at(root / "services" / "web") == "web"
    assert project.service_at(root) is None  # the root: shared, though "whole" lives there
    assert project.service_at(root / "services") is None
    assert project.service_at(root / "linked-target") is None
    assert project.service_at(outside) is None  # "escaped" links out, "above" is outside
    assert project.service_at(tmp_path) is None
