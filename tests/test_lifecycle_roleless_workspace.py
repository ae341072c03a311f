"""A session kept on a stolen laptop, its owner removed from every workspace, must not give
itself a role by creating a workspace: holding one, it would count as "a member of another
workspace", and the grant that brings its owner back would leave it logged in to read what
was written after the theft. A user holding no role anywhere cannot create a workspace. On a
real team server."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

from tests.server import cli as _cli
from tests.server import quick_ok as _ok
from tests.team_support import running_team

if TYPE_CHECKING:
    from pathlib import Path

AFTER = "written-after-the-theft-roleless-s40"


def test_a_removed_members_stolen_session_cannot_create_a_workspace_to_outlive_a_grant(
    tmp_path: Path,
) -> None:
    with running_team(tmp_path, "roleless.io", secret="before", seal=True) as team:
        admin, bob, shop = team.admin, team.bob, team.shop
        thief, elsewhere = tmp_path / "thief", tmp_path / "elsewhere"
        elsewhere.mkdir()
        shutil.copytree(bob, thief)  # the laptop, as it was taken

        _ok(admin, shop, "member", "remove", "bob@roleless.io", "--yes")
        created = _cli(thief, elsewhere, "workspace", "create", "thiefs")
        assert created.returncode == 4, created.stderr
        assert "you hold no role in any workspace" in created.stderr
        assert "invite you back" in created.stderr

        _ok(admin, shop, "set", f"KEY={AFTER}", "--env", "prod", "--yes")
        _ok(admin, shop, "member", "grant", "bob@roleless.io", "read", "--project", "shop")
        stolen = _cli(thief, shop, "get", "KEY", "--env", "prod")
        assert stolen.returncode == 4, stolen.stderr
        assert AFTER not in stolen.stdout + stolen.stderr
