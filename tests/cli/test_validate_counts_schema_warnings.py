"""`validate`'s counts line counts the schema file's own warnings (a plain-words "required",
`core.plain_required`), which it prints above the line: a "0 warnings" under a warning would
contradict what the user just read. Warnings alone still exit 0."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .conftest import quick_ok

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

EXAMPLE = "# Required. The port the API listens on.\nPORT=8080\nDEBUG=0\n"
NOTE = (
    "warning: services/api/.env.example line 2: PORT is optional; the comment on line 1 says"
    " 'required', which declares nothing: write '# @required' on a line of its own above PORT=…"
)


def _use_example(envkeep: Envkeep, project: Path) -> None:
    (project / "services" / "api" / ".env.example").write_text(EXAMPLE, encoding="utf-8")
    quick_ok(envkeep, "service", "set", "api", "--schema", "services/api/.env.example")


def test_the_counts_line_counts_the_schema_warning_printed_above_it(
    envkeep: Envkeep, project: Path
) -> None:
    _use_example(envkeep, project)

    result = envkeep("validate", "--env", "dev", "--service", "api")

    assert result.code == 0, result.describe()
    assert result.err_lines == [NOTE, "0 errors, 1 warning in 1 service (dev)"], result.describe()


def test_schema_warnings_add_to_the_findings_warnings(envkeep: Envkeep, project: Path) -> None:
    _use_example(envkeep, project)
    quick_ok(envkeep, "set", "UNDECLARED=1", "--env", "dev", "--service", "api")

    result = envkeep("validate", "--env", "dev", "--service", "api")

    assert result.code == 0, result.describe()
    assert "unknown" in result.stdout, result.describe()  # the finding's warning, in the table
    assert result.err_lines[-1] == "0 errors, 2 warnings in 1 service (dev)", result.describe()


def test_a_schema_without_notes_counts_no_extra_warning(envkeep: Envkeep, project: Path) -> None:
    (project / "services" / "api" / ".env.example").write_text(
        "# @required\nPORT=8080\n", encoding="utf-8"
    )
    quick_ok(envkeep, "service", "set", "api", "--schema", "services/api/.env.example")
    quick_ok(envkeep, "set", "PORT=8080", "--env", "dev", "--service", "api")

    result = envkeep("validate", "--env", "dev", "--service", "api")

    assert result.code == 0, result.describe()
    assert result.err_lines == ["0 errors, 0 warnings in 1 service (dev)"], result.describe()
