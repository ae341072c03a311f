"""`validate` and `run` over a port value padded with thousands of zeros (more digits than
int() converts) check it as a port: they stopped with "unexpected ValueError; this is a bug
in envkeep", so one such value set by anyone on the team stopped every `run` of the service."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .conftest import quick_ok

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep


def test_run_and_validate_take_a_port_padded_with_thousands_of_zeros(
    envkeep: Envkeep, project: Path
) -> None:
    (project / "ports.env.example").write_text("# @type=port\nPORT=8080\n", encoding="utf-8")
    quick_ok(envkeep, "service", "add", "edge")
    quick_ok(envkeep, "set", f"PORT={'0' * 5000}8080", "--env", "dev", "--service", "edge")
    quick_ok(envkeep, "service", "set", "edge", "--schema", "ports.env.example")

    checked = envkeep("validate", "--env", "dev", "--service", "edge")
    ran = envkeep("run", "--env", "dev", "--service", "edge", "--", "true")

    assert checked.code == 0, checked.describe()
    assert "bug in envkeep" not in checked.stderr
    assert ran.code == 0, ran.describe()
