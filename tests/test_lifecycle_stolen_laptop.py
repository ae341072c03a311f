"""A member's laptop is stolen: an admin removes them (their keys rotate), and later gives the
person a role again (`member grant` to a former member). The session saved on the stolen
laptop must not come back to life with that role: a grant to someone holding no role
anywhere ends their sessions first, and the person logs in again with their passphrase. A
member of another workspace is not logged out by a grant here. On a real team server."""

from __future__ import annotations

import json
import shutil
from typing import TYPE_CHECKING

from tests.server import cli as _cli
from tests.server import quick_ok as _ok
from tests.team_support import running_team

if TYPE_CHECKING:
    from pathlib import Path

AFTER = "written-after-the-theft-s40"


def test_a_stolen_laptops_session_does_not_come_back_when_the_member_is_granted_again(
    tmp_path: Path,
) -> None:
    with running_team(tmp_path, "stolen.io", secret="before", seal=True) as team:
        server, admin, bob, shop = team.server, team.admin, team.bob, team.shop
        thief = tmp_path / "thief"
        _ok(bob, shop, "get", "KEY", "--env", "prod")
        shutil.copytree(bob, thief)  # the laptop, as it was taken

        _ok(admin, shop, "member", "remove", "bob@stolen.io", "--yes")
        _ok(admin, shop, "set", f"KEY={AFTER}", "--env", "prod", "--yes")
        _ok(admin, shop, "member", "grant", "bob@stolen.io", "read", "--project", "shop")

        stolen = _cli(thief, shop, "get", "KEY", "--env", "prod")
        assert stolen.returncode == 4, stolen.stderr
        assert AFTER not in stolen.stdout + stolen.stderr
        assert "log in" in stolen.stderr  # the session ended: what to do next
        back = tmp_path / "bob-new-laptop"
        _ok(back, shop, "login", server.url, "--email", "bob@stolen.io",
            ENVKEEP_PASSPHRASE="bob passphrase")  # fmt: skip
        assert _ok(back, shop, "get", "KEY", "--env", "prod") == f"{AFTER}\n"
        events = json.loads(_ok(admin, shop, "audit", "--action", "member.grant", "--json"))
        assert [json.loads(e["details"]).get("sessions_ended") for e in events][-1] == 1


def test_a_grant_does_not_log_out_a_member_of_another_workspace(tmp_path: Path) -> None:
    with running_team(tmp_path, "kept.io") as team:
        admin, bob, shop = team.admin, team.bob, team.shop
        tools = tmp_path / "tools"
        tools.mkdir()
        _ok(bob, tools, "workspace", "create", "bobs")  # a role of their own elsewhere
        _ok(admin, shop, "member", "remove", "bob@kept.io", "--yes")
        _ok(admin, shop, "member", "grant", "bob@kept.io", "read", "--project", "shop")

        who = _cli(bob, shop, "whoami")
        assert who.returncode == 0, who.stderr
        assert "bob@kept.io" in who.stdout
        events = json.loads(_ok(admin, shop, "audit", "--action", "member.grant", "--json"))
        assert "sessions_ended" not in events[-1]["details"]
