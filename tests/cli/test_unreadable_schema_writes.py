"""A write to a service whose schema cannot be read (the file gone, or a typo in it) goes
ahead unchecked, as documented, but says so: `validate` and `run` will refuse it later."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep


@pytest.mark.parametrize(
    ("schema", "why"),
    [
        (None, "schema file"),  # declared in envkeep.toml, then deleted
        ("# @type=prot\nPORT=8080\n", "unknown type 'prot'"),
    ],
)
def test_a_write_past_an_unreadable_schema_warns_that_nothing_was_checked(
    envkeep: Envkeep, project: Path, schema: str | None, why: str
) -> None:
    example = project / "services" / "api" / ".env.example"
    example.write_text("# @type=port\nPORT=8080\n", encoding="utf-8")
    envkeep.ok("service", "set", "api", "--schema", "services/api/.env.example")
    if schema is None:
        example.unlink()
    else:
        example.write_text(schema, encoding="utf-8")

    written = envkeep.ok("set", "PORT=not-a-port", "--service", "api")

    assert "warning: api's values were not checked: its schema cannot be read" in written.stderr
    assert why in written.stderr
    assert "not-a-port" not in written.stderr


def test_a_readable_schema_gives_no_such_warning(envkeep: Envkeep, project: Path) -> None:
    example = project / "services" / "api" / ".env.example"
    example.write_text("# @type=port\nPORT=8080\n", encoding="utf-8")
    envkeep.ok("service", "set", "api", "--schema", "services/api/.env.example")

    written = envkeep.ok("set", "PORT=9090", "--service", "api")

    assert "were not checked" not in written.stderr
