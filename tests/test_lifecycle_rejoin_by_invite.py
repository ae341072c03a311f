"""A member's laptop is stolen and the admin removes them; later the person comes back the way
docs/quickstart.md says an existing account does, by an invite it accepts logged in (`envkeep
join` on a new laptop). As with `member grant` (tests/test_lifecycle_stolen_laptop.py), the
session saved on the stolen laptop must not come back to life with the role: the join ends
every other session of an account that held no role anywhere. On a real team server."""

from __future__ import annotations

import json
import shutil
from typing import TYPE_CHECKING

from tests.server import cli as _cli
from tests.server import quick_ok as _ok
from tests.team_support import running_team

if TYPE_CHECKING:
    from pathlib import Path

AFTER = "written-after-the-theft-rejoin-s40"


def test_a_stolen_laptops_session_does_not_come_back_when_the_member_joins_by_invite_again(
    tmp_path: Path,
) -> None:
    with running_team(tmp_path, "rejoin.io", secret="before", seal=True) as team:
        server, admin, bob, shop = team.server, team.admin, team.bob, team.shop
        thief, back = tmp_path / "thief", tmp_path / "bob-new-laptop"
        _ok(bob, shop, "get", "KEY", "--env", "prod")
        shutil.copytree(bob, thief)  # the laptop, as it was taken

        _ok(admin, shop, "member", "remove", "bob@rejoin.io", "--yes")
        _ok(admin, shop, "set", f"KEY={AFTER}", "--env", "prod", "--yes")
        again = _ok(admin, shop, "member", "invite", "bob@rejoin.io", "--role", "read",
                    "--project", "shop").strip()  # fmt: skip
        _ok(back, shop, "login", server.url, "--email", "bob@rejoin.io",
            ENVKEEP_PASSPHRASE="bob passphrase")  # fmt: skip
        _ok(back, shop, "join", server.url, again)
        _ok(admin, shop, "member", "seal", "bob@rejoin.io")

        stolen = _cli(thief, shop, "get", "KEY", "--env", "prod")
        assert stolen.returncode == 4, stolen.stderr
        assert AFTER not in stolen.stdout + stolen.stderr
        assert "log in" in stolen.stderr  # the session ended: what to do next
        assert _ok(back, shop, "get", "KEY", "--env", "prod") == f"{AFTER}\n"  # the joiner's
        events = json.loads(_ok(admin, shop, "audit", "--action", "invite.accept", "--json"))
        assert json.loads(events[-1]["details"]).get("sessions_ended") == 1
