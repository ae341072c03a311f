"""A new project's name: the letters services and environments take, refused before anything
is written, and asked again at `envkeep init`'s prompt."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .config_fixtures import answer_prompts

if TYPE_CHECKING:
    from .conftest import Envkeep


def test_init_refuses_a_name_outside_the_rule_and_writes_nothing(envkeep: Envkeep) -> None:
    for name in ["My Shop", "shop/eu", "_shop", "x" * 64, "Shop"]:
        refused = envkeep("init", name, "--yes")

        assert refused.code == 2, refused.describe()
        assert f"'{name}' is not a valid project name" in refused.stderr
        assert "lowercase letters, digits" in refused.stderr
        assert not (envkeep.cwd / "envkeep.toml").exists()
    envkeep.ok("init", "shop", "--yes")  # nothing was left half-made in the store
    assert envkeep.ok("env", "list").code == 0


def test_the_refusal_suggests_the_name_made_valid(envkeep: Envkeep) -> None:
    refused = envkeep("init", "Billing API", "--yes")

    assert "(e.g. 'billing-api')" in refused.stderr


def test_init_asks_for_the_name_again_when_the_one_typed_is_refused(envkeep: Envkeep) -> None:
    (envkeep.cwd / "api").mkdir()
    (envkeep.cwd / "api" / ".env.example").write_text("PORT=8080\n", encoding="utf-8")

    code, written = answer_prompts(
        envkeep,
        ["init"],
        [
            (b"Project name", b"My Shop\r"),
            (b"Project name", b"my-shop\r"),
            (b"Environments", b"\r"),
            (b"Add service 'api'", b"y\r"),
        ],
    )

    assert code == 0, written
    assert "'My Shop' is not a valid project name" in written
    assert 'project = "my-shop"' in (envkeep.cwd / "envkeep.toml").read_text(encoding="utf-8")


def test_init_without_a_name_or_a_terminal_names_the_project_after_its_directory(
    envkeep: Envkeep,
) -> None:
    (envkeep.cwd / "services" / "api" / ".env.example").write_text("PORT=1\n", encoding="utf-8")

    done = envkeep.ok("init")  # CI: no terminal, no --yes

    assert 'project = "work"' in (envkeep.cwd / "envkeep.toml").read_text(encoding="utf-8")
    assert "project 'work' is ready" in done.stderr
    assert "found services, not added" in done.stderr  # none added without --yes or a question
