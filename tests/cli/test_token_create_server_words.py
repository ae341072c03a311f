"""`token create` says ENVKEEP_SERVER is needed only where no envkeep.toml names the server: in
a checkout whose envkeep.toml names it, ENVKEEP_TOKEN alone works. It said "with
ENVKEEP_SERVER" in every case. On a team server (tokens live there)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .conftest import server_only

if TYPE_CHECKING:
    from pathlib import Path

    from .conftest import Envkeep, Homes


def _server(project: Path) -> str:
    lines = (project / "envkeep.toml").read_text(encoding="utf-8").splitlines()
    return next(line.split('"')[1] for line in lines if line.startswith("server"))


def test_in_a_checkout_naming_the_server_the_token_alone_is_said_to_do(
    envkeep: Envkeep, seeded: Path, homes: Homes, tmp_path: Path
) -> None:
    server_only(homes, "tokens live on a server")

    made = envkeep.ok("token", "create", "ci", "--project", "shop", "--env", "dev")

    assert "keep it as ENVKEEP_TOKEN where it is needed; in a checkout of shop no" in made.stderr
    assert "ENVKEEP_SERVER=" not in made.stderr
    ci_home = tmp_path / "ci-home"
    ci_home.mkdir()
    alone = {"ENVKEEP_TOKEN": made.stdout.strip(), "ENVKEEP_HOME": str(ci_home)}
    assert envkeep.ok("get", "LOG_LEVEL", "--env", "dev", env=alone).stdout == "info\n"


def test_outside_a_checkout_the_server_to_set_is_named(
    envkeep: Envkeep, seeded: Path, homes: Homes, tmp_path: Path
) -> None:
    server_only(homes, "tokens live on a server")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    made = envkeep("token", "create", "ci", "--project", "shop", cwd=elsewhere)

    assert made.code == 0, made.describe()
    assert (
        f"with ENVKEEP_SERVER={_server(seeded)} where no envkeep.toml names that server"
        in made.stderr
    )


def test_a_token_for_another_project_is_told_the_server_to_set(
    envkeep: Envkeep, seeded: Path, homes: Homes, tmp_path: Path
) -> None:
    server_only(homes, "tokens live on a server")
    blog = tmp_path / "blog"
    blog.mkdir()
    assert envkeep("init", "blog", cwd=blog).code == 0

    made = envkeep.ok("token", "create", "ci-blog", "--project", "blog")

    assert f"with ENVKEEP_SERVER={_server(seeded)} where no envkeep.toml" in made.stderr
