"""envkeep.toml refuses a key it does not know, at the top level or in a service's table, naming
the file, the line and the closest known key: a misspelt key would read as one left out."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from envkeep.core.errors import ParseError
from envkeep.core.projectfile import SERVICE_KEYS, TOP_KEYS, ServiceEntry, parse_project_file
from envkeep.core.projectfile_edits import (
    render_project_file,
    with_service_section,
    with_service_setting,
    with_top_setting,
)

if TYPE_CHECKING:
    from pathlib import Path

GOOD = """\
project = "shop"
default_env = "dev"

[services.web]
path = "web"
schema = "web/.env.example"

[services.api.schema]
PORT = "port"
"""


def refused(text: str, root: Path) -> ParseError:
    with pytest.raises(ParseError) as caught:
        parse_project_file(text, root)
    return caught.value


@pytest.mark.parametrize(
    ("old", "new", "line", "said"),
    [
        ("schema = ", "schmea = ", 6, "[services.web] has an unknown key 'schmea'"),
        ("schema = ", "Schema = ", 6, "[services.web] has an unknown key 'Schema'"),
        ('path = "web"', 'template = ["pg"]', 5, "[services.web] has an unknown key 'template'"),
        ('path = "web"', 'healthurl = "x"', 5, "[services.web] has an unknown key 'healthurl'"),
        ("default_env", "defualt_env", 2, "unknown top-level key 'defualt_env'"),
        ('default_env = "dev"', 'enviroments = ["dev"]', 2, "unknown top-level key 'enviroments'"),
        ("[services.web]", "[service.web]", 4, "unknown top-level key 'service'"),
        (
            "[services.api.schema]",
            "[services.api.schmea]",
            8,
            "[services.api] has an unknown key 'schmea'",
        ),
    ],
)
def test_a_misspelt_key_is_refused_at_its_line_with_the_closest_known_key(
    old: str, new: str, line: int, said: str, tmp_path: Path
) -> None:
    error = refused(GOOD.replace(old, new, 1), tmp_path)

    assert error.line == line
    assert error.message.startswith(f"{tmp_path / 'envkeep.toml'}:{line}: {said} (did you mean '")
    close = error.message.rsplit("(did you mean ", 1)[1].removesuffix("?)")
    assert error.hint is not None
    assert error.hint.startswith(f"rename it to {close}; the keys of ")


def test_the_suggestion_is_the_key_meant(tmp_path: Path) -> None:
    assert (
        "(did you mean 'schema'?)"
        in refused(GOOD.replace("schema =", "schmea ="), tmp_path).message
    )
    assert (
        "(did you mean 'templates'?)"
        in refused(GOOD.replace('path = "web"', "template = []"), tmp_path).message
    )
    assert (
        "(did you mean 'project'?)" in refused(GOOD.replace("project", "projct"), tmp_path).message
    )


def test_a_key_like_none_known_is_refused_without_a_guess(tmp_path: Path) -> None:
    error = refused('colour = "blue"\n' + GOOD, tmp_path)

    assert error.line == 1
    assert error.message.endswith(": unknown top-level key 'colour'")
    assert error.hint == f"remove it; the keys of the top level: {', '.join(TOP_KEYS)}"


def test_a_key_written_where_no_line_shows_it_names_the_file_and_the_section(
    tmp_path: Path,
) -> None:
    error = refused(
        'project = "shop"\n[services]\nweb = { path = "web", schmea = "x" }\n', tmp_path
    )

    assert error.line is None
    assert error.message == (
        f"{tmp_path / 'envkeep.toml'}: [services.web] has an unknown key 'schmea'"
        " (did you mean 'schema'?)"
    )


def test_a_quoted_service_name_is_named_as_written(tmp_path: Path) -> None:
    error = refused('project = "shop"\n\n[services."my.svc"]\npth = "x"\n', tmp_path)

    assert error.line == 4
    assert "[services.\"my.svc\"] has an unknown key 'pth' (did you mean 'path'?)" in error.message


def test_the_variables_of_a_schema_table_are_not_keys_of_the_service(tmp_path: Path) -> None:
    text = GOOD + "SCHMEA = \"int\"\ntemplate = { type = 'int' }\n"

    api = parse_project_file(text, tmp_path).service("api")

    assert api is not None
    assert api.schema_table is not None
    assert set(api.schema_table) == {"PORT", "SCHMEA", "template"}


def test_every_key_envkeep_writes_is_one_it_reads(tmp_path: Path) -> None:
    text = render_project_file(
        "shop",
        default_env="dev",
        environments=("dev", "prod"),
        server="https://envkeep.example.com",
        workspace="ws-1",
    )
    entry = ServiceEntry("web", path="web", schema="web/.env.example", health_url="http://x/h")
    text = with_service_section(text, entry)
    text = with_service_setting(text, "web", "templates", ["postgres"])
    text = with_top_setting(text, "environments", ["dev", "qa"])
    text = with_top_setting(text, "default_env", "qa")

    project = parse_project_file(text, tmp_path)

    assert (project.server, project.workspace, project.default_env) == (
        "https://envkeep.example.com",
        "ws-1",
        "qa",
    )
    assert project.service("web") == ServiceEntry(
        "web", "web", "web/.env.example", None, ("postgres",), "http://x/h"
    )
    assert set(SERVICE_KEYS) == {"path", "schema", "templates", "health_url"}
