"""A service's ``.env.example`` saying ``PORT=8080 # required`` declares nothing: `service add`,
`schema show` and `validate` say so once per command, naming the file and line and the
``# @required`` to write; the field stays optional. Commands that only read the schema on the
way (`run`, `get`, `set`) do not repeat it before every child's output."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from .conftest import quick_ok

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

EXAMPLE = "# The port.\nPORT=8080 # required\nDEBUG=0 # not required\n"
NOTE = (
    "warning: services/api/.env.example line 2: PORT is optional; the comment on line 2 says"
    " 'required', which declares nothing: write '# @required' on a line of its own above PORT=…"
)


@pytest.fixture
def noted(envkeep: Envkeep, project: Path) -> Path:
    (project / "services" / "api" / ".env.example").write_text(EXAMPLE, encoding="utf-8")
    quick_ok(envkeep, "service", "set", "api", "--schema", "services/api/.env.example")
    return project


@pytest.mark.parametrize(
    "command",
    [
        ("schema", "show", "api"),
        ("validate", "--env", "dev", "--all"),
        ("service", "set", "api", "--schema", "services/api/.env.example"),
    ],
)
def test_a_plain_required_comment_is_said_once_per_command(
    envkeep: Envkeep, noted: Path, command: tuple[str, ...]
) -> None:
    result = envkeep(*command)

    assert result.code == 0, result.describe()
    assert result.err_lines.count(NOTE) == 1, result.describe()
    assert "DEBUG" not in result.stderr


def test_a_plain_required_variable_stays_optional(envkeep: Envkeep, noted: Path) -> None:
    result = envkeep("validate", "--env", "dev", "--all")

    assert result.code == 0, result.describe()  # PORT unset: no `missing` finding
    assert "missing" not in result.stdout


@pytest.mark.parametrize(
    "command",
    [
        ("set", "OTHER=1", "--env", "dev", "--service", "api"),
        ("get", "OTHER", "--env", "dev", "--service", "api"),
        ("run", "--env", "dev", "--service", "api", "--", "true"),
    ],
)
def test_daily_commands_do_not_repeat_it(
    envkeep: Envkeep, noted: Path, command: tuple[str, ...]
) -> None:
    quick_ok(envkeep, "set", "OTHER=1", "--env", "dev", "--service", "api")

    result = envkeep(*command)

    assert result.code == 0, result.describe()
    assert "declares nothing" not in result.stderr
