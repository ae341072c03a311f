"""`run --file` takes the service from where the file lies: `run -f services/api/.env` from
the project's root ran with PORT=abc, unchecked, and without api's @default values, because
the service came from the working directory alone."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

SCHEMA = "# @type=port\nPORT=\n# @default=info\nLOG_LEVEL=\n"


def _api_with_schema(envkeep: Envkeep, project: Path) -> Path:
    api = project / "services" / "api"
    (api / ".env.example").write_text(SCHEMA, encoding="utf-8")
    envkeep.ok("service", "set", "api", "--schema", "services/api/.env.example")
    return api


def _write_log_level(out: Path) -> tuple[str, ...]:
    code = f"import os; open({str(out)!r}, 'w').write(os.environ.get('LOG_LEVEL', '-'))"
    return ("--", sys.executable, "-c", code)


def test_run_file_in_a_services_directory_is_checked_from_the_project_root(
    envkeep: Envkeep, project: Path, tmp_path: Path
) -> None:
    api = _api_with_schema(envkeep, project)
    (api / ".env").write_text("PORT=abc\n", encoding="utf-8")
    seen = tmp_path / "seen"

    result = envkeep("run", "-f", "services/api/.env", *_write_log_level(seen), cwd=project)

    assert result.code == 3, result.describe()
    assert not seen.exists()
    assert result.err_lines[0] == (
        "error: 1 problem in services/api/.env: api.PORT: expected a port number from 1 to 65535"
    )


def test_run_file_in_a_services_directory_gets_its_defaults_from_another_directory(
    envkeep: Envkeep, project: Path, tmp_path: Path
) -> None:
    api = _api_with_schema(envkeep, project)
    (api / ".env").write_text("PORT=8080\n", encoding="utf-8")
    elsewhere = project / "scripts"
    elsewhere.mkdir()
    seen = tmp_path / "seen"

    result = envkeep(
        "run",
        "-f",
        "../services/api/.env",
        *_write_log_level(seen),
        cwd=elsewhere,
        env={"LOG_LEVEL": None},
    )

    assert result.code == 0, result.describe()
    assert seen.read_text(encoding="utf-8") == "info"
