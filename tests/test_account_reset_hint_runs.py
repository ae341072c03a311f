"""`member reset` without --yes says what it would take and the command that goes ahead; that
command is the one asked for, with --yes: it left out --role (required), so running the hint
failed with "Missing option '--role'", and --project, which would have given the role back
at another scope. On a real team server."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from tests.server import cli as _cli
from tests.team_support import running_team

if TYPE_CHECKING:
    from pathlib import Path


def test_the_command_a_reset_without_yes_names_runs_the_same_reset(tmp_path: Path) -> None:
    with running_team(tmp_path, "hint.io") as team:
        admin, shop = team.admin, team.shop
        asked = ("member", "reset", team.bob_email, "--role", "read", "--project", "shop")

        refused = _cli(admin, shop, *asked)

        assert refused.returncode == 2, refused.stderr
        [hint] = [line for line in refused.stderr.splitlines() if line.startswith("hint: ")]
        command = shlex.split(hint.split("anyway: ", 1)[1])
        assert command == ["envkeep", *asked, "--yes"]
        done = _cli(admin, shop, *command[1:])
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("ek_inv_"), done.stdout
