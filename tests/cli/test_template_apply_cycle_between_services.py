"""`template apply` to several services at once refuses a reference cycle the services close
between them (svc1's ``${worker.B}``, worker's ``${api.A}``), as applying to one and then the
other refuses it (exit 3, envkeep.toml unchanged): each service is checked with the template
applied to those before it (`config_cycles.refuse_template_cycles`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .conftest import quick_ok

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep

CROSSED = "A=${worker.B}\nB=${api.A}\n"


def _crossed(project: Path) -> None:
    templates = project / ".envkeep" / "templates"
    templates.mkdir(parents=True, exist_ok=True)
    (templates / "crossed.env").write_text(CROSSED, encoding="utf-8")


def test_applying_to_two_services_at_once_refuses_the_cycle_they_close_together(
    envkeep: Envkeep, project: Path
) -> None:
    _crossed(project)
    before = (project / "envkeep.toml").read_text("utf-8")

    applied = envkeep("template", "apply", "crossed", "--service", "api", "--service", "worker")

    assert applied.code == 3, applied.describe()
    assert applied.err_lines[0].startswith(
        "error: applying template 'crossed' to service 'worker' would close a reference cycle"
    ), applied.describe()
    assert (project / "envkeep.toml").read_text("utf-8") == before


def test_applying_one_after_the_other_refuses_the_same_cycle(
    envkeep: Envkeep, project: Path
) -> None:
    _crossed(project)
    quick_ok(envkeep, "template", "apply", "crossed", "--service", "api")

    applied = envkeep("template", "apply", "crossed", "--service", "worker")

    assert applied.code == 3, applied.describe()
