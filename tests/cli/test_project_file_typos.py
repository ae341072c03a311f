"""A misspelt key in envkeep.toml stops the command that reads it, naming the file, the line and
the key meant; before, `schmea =` left the service without a schema, so a bad value was
written and validated without a word, and `template =` dropped the service's templates."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

from .config_fixtures import assert_one_line_error
from .conftest import quick_ok

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

EXAMPLE = "services/api/.env.example"
MARKER = "ran.txt"


def _with_port_schema(envkeep: Envkeep, project: Path) -> str:
    """api's schema declares PORT a port; the text of envkeep.toml that says so."""
    (project / EXAMPLE).write_text("# @type=port\nPORT=8080\n", encoding="utf-8")
    quick_ok(envkeep, "service", "set", "api", "--schema", EXAMPLE)
    return (project / "envkeep.toml").read_text(encoding="utf-8")


def _api_names(envkeep: Envkeep) -> list[str]:
    listed = quick_ok(envkeep, "list", "--env", "dev", "--service", "api", "--json").stdout
    return [v["name"] for v in json.loads(listed) if v["scope"] == "api"]


def test_a_misspelt_schema_key_stops_set_and_validate_and_nothing_is_written(
    envkeep: Envkeep, project: Path
) -> None:
    good = _with_port_schema(envkeep, project)
    typo = good.replace("\nschema = ", "\nschmea = ")
    line = typo.split("\n").index(next(x for x in typo.split("\n") if x.startswith("schmea")))
    (project / "envkeep.toml").write_text(typo, encoding="utf-8")

    written, validated = envkeep.many(
        ("set", "PORT=notaport", "--env", "dev", "--service", "api"),
        ("validate", "--env", "dev", "--service", "api"),
    )

    for result in (written, validated):
        assert result.code == 1, result.describe()
        assert_one_line_error(
            result,
            f"envkeep.toml:{line + 1}: [services.api] has an unknown key 'schmea'",
            "(did you mean 'schema'?)",
        )
        assert "hint: rename it to 'schema'" in result.stderr
    (project / "envkeep.toml").write_text(good, encoding="utf-8")
    assert "PORT" not in _api_names(envkeep)
    refused = envkeep("set", "PORT=notaport", "--env", "dev", "--service", "api")
    assert refused.code == 3  # with the key spelt right, the schema refuses the value
    assert "api.PORT (type:" in refused.stderr


def test_a_misspelt_templates_key_stops_run_before_its_command_starts(
    envkeep: Envkeep, project: Path
) -> None:
    text = (project / "envkeep.toml").read_text(encoding="utf-8")
    (project / "envkeep.toml").write_text(
        text.replace('path = "services/api"', 'path = "services/api"\ntemplate = ["postgres"]'),
        encoding="utf-8",
    )

    ran = envkeep(
        "run", "-e", "dev", "-s", "api", "--", sys.executable, "-c", f"open({MARKER!r}, 'w')"
    )

    assert_one_line_error(ran, "has an unknown key 'template' (did you mean 'templates'?)")
    assert ran.code == 1
    assert not (project / MARKER).exists()


def test_a_project_file_envkeep_wrote_and_edited_reads_back(
    envkeep: Envkeep, project: Path
) -> None:
    _with_port_schema(envkeep, project)
    quick_ok(envkeep, "env", "create", "qa")

    assert quick_ok(envkeep, "validate", "--env", "qa", "--all").code == 0


def test_a_default_env_that_does_not_exist_is_said_to_come_from_envkeep_toml(
    envkeep: Envkeep, project: Path
) -> None:
    """`default_env = "devv"` said "environment 'devv' not found" and "did you mean 'dev'?" to
    someone who never typed devv: the error names the file, its line and the fix there."""
    text = (project / "envkeep.toml").read_text(encoding="utf-8")
    line = text.split("\n").index('default_env = "dev"') + 1
    (project / "envkeep.toml").write_text(text.replace('"dev"', '"devv"', 1), encoding="utf-8")

    listed, given = envkeep.many(("list",), ("list", "--env", "dev"))

    assert listed.code == 1, listed.describe()
    assert_one_line_error(
        listed,
        "environment 'devv' not found in project 'shop'",
        f"'devv' is envkeep.toml's default_env ({project / 'envkeep.toml'}:{line}), taken as no"
        " --env was given",
    )
    assert listed.err_lines[1] == 'hint: set default_env = "dev" there, or pass --env'
    assert given.code == 0, given.describe()  # named on the command line: the file's is unused
