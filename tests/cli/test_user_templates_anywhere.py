"""A user's own templates (`ENVKEEP_HOME/templates`) need no project: `template create --user`,
`list` and `show` work outside a checkout, where they had said "no envkeep.toml found"."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .conftest import Envkeep


def test_a_users_templates_are_made_listed_and_shown_outside_a_checkout(envkeep: Envkeep) -> None:
    assert not (envkeep.cwd / "envkeep.toml").exists()

    envkeep.ok("template", "create", "mine", "--user")
    listed = envkeep.ok("template", "list")
    shown = envkeep.ok("template", "show", "mine")

    assert "mine" in listed.stdout
    assert str(envkeep.home / "templates" / "mine.env") in listed.stdout
    assert "PORT" in shown.stdout


def test_a_projects_template_still_needs_the_project(envkeep: Envkeep) -> None:
    refused = envkeep("template", "create", "shared")

    assert refused.code != 0
    assert "no envkeep.toml found" in refused.stderr
