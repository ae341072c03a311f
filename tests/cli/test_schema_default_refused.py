"""A `.env.example` whose `@default` its own annotations refuse is refused where the schema is
read, at the default's line: `schema show`, `validate` and `run` stop there, instead of
reporting a masked value in every environment as if someone had set it wrong."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from .config_fixtures import assert_one_line_error
from .conftest import quick_ok

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

EXAMPLE = "services/api/.env.example"
REFUSED = """\
# @type=port
PORT=8080

# The mode.
# @type=enum(fast,safe) @secret
# @default=reckless
MODE=
"""
MARKER = "ran.txt"


def test_schema_show_validate_and_run_refuse_a_default_the_schema_itself_refuses(
    envkeep: Envkeep, project: Path
) -> None:
    (project / EXAMPLE).write_text("# @type=port\nPORT=8080\n", encoding="utf-8")
    quick_ok(envkeep, "service", "set", "api", "--schema", EXAMPLE)
    (project / EXAMPLE).write_text(REFUSED, encoding="utf-8")

    shown, validated, ran = envkeep.many(
        ("schema", "show", "api"),
        ("validate", "--env", "dev", "--service", "api"),
        ("run", "-e", "dev", "-s", "api", "--", sys.executable, "-c", f"open({MARKER!r}, 'w')"),
    )

    for result in (shown, validated, ran):
        # validate's verdict: not valid (3); the others could not read a file they need (1)
        assert result.code == (3 if result is validated else 1), result.describe()
        assert_one_line_error(
            result,
            f"{EXAMPLE}:6: @default of 'MODE' breaks its own rules",
            "(enum: expected one of: fast, safe)",
        )
        assert "reckless" not in result.stderr  # a secret's default is never shown
        assert "@default" in result.err_lines[1]
    assert not (project / MARKER).exists()


def test_a_schema_with_a_refused_default_is_not_put_to_use(envkeep: Envkeep, project: Path) -> None:
    (project / EXAMPLE).write_text(REFUSED, encoding="utf-8")
    before = (project / "envkeep.toml").read_text(encoding="utf-8")

    refused = envkeep("service", "set", "api", "--schema", EXAMPLE)

    assert_one_line_error(refused, f"{EXAMPLE}:6:", "'MODE'")
    assert (project / "envkeep.toml").read_text(encoding="utf-8") == before
