"""`run --file` in a service's directory adds the schema's @default values the file and the
environment leave out, as `run` from the store adds them: the command got no LOG_LEVEL where
`run --env dev` gave it the schema's `@default=info`."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

SCHEMA = (
    "# @type=port\nPORT=\n# @required @default=info\nLOG_LEVEL=\n# @default=${PORT}/x\nPATH_X=\n"
)


def _api_with_schema(envkeep: Envkeep, project: Path) -> Path:
    api = project / "services" / "api"
    (api / ".env.example").write_text(SCHEMA, encoding="utf-8")
    envkeep.ok("service", "set", "api", "--schema", "services/api/.env.example")
    return api


def _seen(out: Path) -> tuple[str, ...]:
    """A command writing what it got for LOG_LEVEL and PATH_X into ``out``."""
    code = (
        f"import os; open({str(out)!r}, 'w').write("
        "os.environ.get('LOG_LEVEL', '-') + ' ' + os.environ.get('PATH_X', '-'))"
    )
    return ("--", sys.executable, "-c", code)


def test_run_file_adds_the_schemas_defaults_the_file_leaves_out(
    envkeep: Envkeep, project: Path, tmp_path: Path
) -> None:
    api = _api_with_schema(envkeep, project)
    (api / ".env").write_text("PORT=8080\n", encoding="utf-8")
    seen = tmp_path / "seen"

    result = envkeep("run", "-f", ".env", *_seen(seen), cwd=api, env={"LOG_LEVEL": None})

    assert result.code == 0, result.describe()
    assert seen.read_text(encoding="utf-8") == "info 8080/x"


def test_run_file_value_and_an_exported_value_win_over_the_default(
    envkeep: Envkeep, project: Path, tmp_path: Path
) -> None:
    api = _api_with_schema(envkeep, project)
    (api / ".env").write_text("PORT=8080\nLOG_LEVEL=debug\n", encoding="utf-8")
    from_file, from_env = tmp_path / "file", tmp_path / "env"

    envkeep("run", "-f", ".env", *_seen(from_file), cwd=api)
    (api / ".env").write_text("PORT=8080\n", encoding="utf-8")
    envkeep("run", "-f", ".env", *_seen(from_env), cwd=api, env={"LOG_LEVEL": "warn"})

    assert from_file.read_text(encoding="utf-8") == "debug 8080/x"
    assert from_env.read_text(encoding="utf-8") == "warn 8080/x"
