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


def test_the_refusals_hint_sets_a_name_of_the_cycle_in_its_own_service(
    envkeep: Envkeep, project: Path
) -> None:
    """The cycle's names are qualified by their service (``api.A``): the hint's example sets
    the bare name in that service, a command that runs; it said ``set api.A=VALUE --service
    worker``, a name `set` refuses."""
    _crossed(project)
    quick_ok(envkeep, "template", "apply", "crossed", "--service", "api")

    applied = envkeep("template", "apply", "crossed", "--service", "worker")

    assert applied.code == 3, applied.describe()
    hint = next(line for line in applied.err_lines if line.startswith("hint: "))
    assert ".A=VALUE" not in hint, hint
    assert ".B=VALUE" not in hint, hint
    assert (
        "envkeep set A=VALUE --env dev --service api" in hint
        or "envkeep set B=VALUE --env dev --service worker" in hint
    ), hint
