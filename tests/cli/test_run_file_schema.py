"""`run --file` in a service's directory checks the file's values against that service's
schema, as `run` from the store checks the resolved ones (exit 3, the same words), and
`--no-validate` skips it for both: `run -f .env` in services/api ran with PORT=abc, exit 0."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

SCHEMA = "# @type=port\nPORT=\n# @required\nAPI_KEY=\n# @required @default=info\nLOG_LEVEL=\n"
PORT_PROBLEM = "api.PORT: expected a port number from 1 to 65535"


def _api_with_schema(envkeep: Envkeep, project: Path) -> Path:
    api = project / "services" / "api"
    (api / ".env.example").write_text(SCHEMA, encoding="utf-8")
    envkeep.ok("service", "set", "api", "--schema", "services/api/.env.example")
    return api


def _touch(marker: Path) -> tuple[str, ...]:
    return ("--", sys.executable, "-c", f"open({str(marker)!r}, 'w').close()")


def test_run_file_breaking_the_services_schema_is_refused_before_the_command_runs(
    envkeep: Envkeep, project: Path, tmp_path: Path
) -> None:
    api = _api_with_schema(envkeep, project)
    (api / ".env").write_text("PORT=abc\nAPI_KEY=k\nEXTRA=1\n", encoding="utf-8")
    marker = tmp_path / "ran"

    result = envkeep("run", "-f", ".env", *_touch(marker), cwd=api)

    assert result.code == 3, result.describe()
    assert not marker.exists()
    assert result.err_lines == [
        f"error: 1 problem in .env: {PORT_PROBLEM}",
        "hint: correct them in .env, or skip with --no-validate",
    ]


def test_run_file_missing_a_required_name_without_a_default_is_refused(
    envkeep: Envkeep, project: Path, tmp_path: Path
) -> None:
    api = _api_with_schema(envkeep, project)
    (api / ".env").write_text("PORT=8080\n", encoding="utf-8")

    result = envkeep("run", "-f", ".env", *_touch(tmp_path / "ran"), cwd=api)

    assert result.code == 3, result.describe()
    assert "1 problem in .env: api.API_KEY: required but not set" in result.stderr


def test_run_file_with_no_validate_or_outside_the_service_runs_as_it_is(
    envkeep: Envkeep, project: Path, tmp_path: Path
) -> None:
    api = _api_with_schema(envkeep, project)
    (api / ".env").write_text("PORT=abc\n", encoding="utf-8")
    skipped, outside = tmp_path / "skipped", tmp_path / "outside"

    (project / ".env").write_text("PORT=abc\n", encoding="utf-8")  # in no service's directory

    envkeep("run", "-f", ".env", "--no-validate", *_touch(skipped), cwd=api)
    envkeep("run", "-f", ".env", *_touch(outside), cwd=project)

    assert skipped.exists()
    assert outside.exists()


def test_run_file_meeting_the_schema_runs(envkeep: Envkeep, project: Path, tmp_path: Path) -> None:
    api = _api_with_schema(envkeep, project)
    (api / ".env").write_text("PORT=8080\nAPI_KEY=k\nEXTRA=1\n", encoding="utf-8")
    marker = tmp_path / "ran"

    result = envkeep("run", "-f", ".env", *_touch(marker), cwd=api)

    assert result.code == 0, result.describe()
    assert marker.exists()


def test_run_file_takes_a_required_name_from_the_environment_it_runs_in(
    envkeep: Envkeep, project: Path, tmp_path: Path
) -> None:
    api = _api_with_schema(envkeep, project)
    (api / ".env").write_text("PORT=8080\n", encoding="utf-8")  # API_KEY comes from CI
    marker = tmp_path / "ran"

    result = envkeep("run", "-f", ".env", *_touch(marker), cwd=api, env={"API_KEY": "k"})

    assert result.code == 0, result.describe()
    assert marker.exists()


def test_run_file_checks_a_declared_name_the_environment_gives_and_says_where(
    envkeep: Envkeep, project: Path, tmp_path: Path
) -> None:
    api = _api_with_schema(envkeep, project)
    (api / ".env").write_text("API_KEY=k\n", encoding="utf-8")
    marker = tmp_path / "ran"

    result = envkeep("run", "-f", ".env", *_touch(marker), cwd=api, env={"PORT": "abc"})

    assert result.code == 3, result.describe()
    assert not marker.exists()
    assert f"error: 1 problem in .env and the environment: {PORT_PROBLEM}" in result.err_lines
