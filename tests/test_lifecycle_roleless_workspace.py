"""A session kept on a stolen laptop, its owner removed from every workspace, must not give
itself a role by creating a workspace: holding one, it would count as "a member of another
workspace", and the grant that brings its owner back would leave it logged in to read what
was written after the theft. A user holding no role anywhere cannot create a workspace. On a
real team server."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

from tests.server import cli as _cli
from tests.server import join, start_server
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from pathlib import Path

AFTER = "written-after-the-theft-roleless-s40"


def test_a_removed_members_stolen_session_cannot_create_a_workspace_to_outlive_a_grant(
    tmp_path: Path,
) -> None:
    server = start_server(tmp_path / "srv")
    admin, bob, thief = tmp_path / "admin", tmp_path / "bob", tmp_path / "thief"
    shop, elsewhere = tmp_path / "shop", tmp_path / "elsewhere"
    shop.mkdir()
    elsewhere.mkdir()
    try:
        join(server, admin, shop, server.invite("admin@roleless.io"), "admin@roleless.io")
        _ok(admin, shop, "init", "shop", "--env", "prod")
        _ok(admin, shop, "set", "KEY=before", "--env", "prod", "--yes")
        code = _ok(admin, shop, "member", "invite", "bob@roleless.io", "--role", "read",
                   "--project", "shop").strip()  # fmt: skip
        join(server, bob, shop, code, "bob@roleless.io")
        _ok(admin, shop, "member", "seal", "bob@roleless.io")
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
    finally:
        server.stop()
