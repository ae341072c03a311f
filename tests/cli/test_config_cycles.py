"""A change to envkeep.toml that leaves a service with a reference cycle: `template apply`,
whose template's value closes one, is refused as `set` refuses a value that makes one (exit 3,
nothing changed); `service add`, whose new service sees a cycle of the shared scope that every
other service ends with its own value, adds it and warns, naming the cycle and the `set` that
ends it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .conftest import quick, quick_ok

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep


def test_template_apply_that_would_close_a_reference_cycle_is_refused_and_changes_nothing(
    envkeep: Envkeep, project: Path
) -> None:
    templates = project / ".envkeep" / "templates"
    templates.mkdir(parents=True, exist_ok=True)
    (templates / "loop.env").write_text("B=${A}\n", encoding="utf-8")
    quick_ok(envkeep, "set", "A=${B}", "--env", "dev", "--service", "-")  # B: not set yet
    before = (project / "envkeep.toml").read_bytes()

    refused = envkeep("template", "apply", "loop", "--service", "api")

    assert refused.code == 3, refused.describe()
    assert refused.err_lines == [
        (
            "error: applying template 'loop' to service 'api' would close a reference cycle in"
            " dev (B -> A -> B in api), so B and A could never resolve there; nothing was"
            " changed"
        ),
        (
            "hint: end the cycle first: give one of its names a value without a reference, e.g."
            " api's own: envkeep set B=VALUE --env dev --service api; or change the template's"
            " value; then apply it again"
        ),
    ]
    assert (project / "envkeep.toml").read_bytes() == before
    quick_ok(envkeep, "set", "B=1", "--env", "dev", "--service", "api")  # as the hint says
    envkeep.ok("template", "apply", "loop", "--service", "api")
    assert quick_ok(envkeep, "get", "A", "--env", "dev", "--service", "api").stdout == "1\n"


def test_service_add_warns_of_a_shared_cycle_the_new_service_sees_and_adds_it(
    envkeep: Envkeep, project: Path
) -> None:
    quick_ok(envkeep, "set", "B=1", "--env", "dev", "--service", "api")
    quick_ok(envkeep, "set", "B=1", "--env", "dev", "--service", "worker")
    quick_ok(envkeep, "set", "A=${B}", "B=${A}", "--env", "dev", "--service", "-")

    added = envkeep("service", "add", "billing")

    assert added.code == 0, added.describe()
    assert added.err_lines == [
        "added service 'billing'",
        (
            "warning: in dev, billing sees a reference cycle (A -> B -> A): run and export will"
            " fail there until one of A and B has a value without a reference there (envkeep"
            " set A=VALUE --env dev --service billing)"
        ),
    ]
    assert quick(envkeep, "get", "A", "--env", "dev", "--service", "billing").code == 3
    quick_ok(envkeep, "set", "A=2", "--env", "dev", "--service", "billing")  # as it says
    assert quick_ok(envkeep, "get", "B", "--env", "dev", "--service", "billing").stdout == "2\n"
