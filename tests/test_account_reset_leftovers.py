"""What a reset member left behind stops working: the token they made, and the invite they
made that nobody accepted yet, whose secret is on the stolen laptop, even once they are back
as admin with the reset code. Real server, real CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.server import cli as _cli
from tests.server import quick_ok as _ok
from tests.team_support import running_team

if TYPE_CHECKING:
    from pathlib import Path

BOB = "bob@leftovers.io"


def test_a_reset_admins_token_and_open_invite_stop_working(tmp_path: Path) -> None:
    with running_team(
        tmp_path, "leftovers.io", bob_role="admin", secret="value", seal=True
    ) as team:
        server, admin, bob, shop = team.server, team.admin, team.bob, team.shop
        token = _ok(bob, shop, "token", "create", "ci", "--project", "shop",
                    "--env", "prod").strip()  # fmt: skip
        assert _ok(tmp_path / "ci", shop, "get", "KEY", "--env", "prod",
                   ENVKEEP_TOKEN=token) == "value\n"  # fmt: skip
        theirs = _ok(bob, shop, "member", "invite", "eve@leftovers.io", "--role", "read").strip()

        said = _ok(admin, shop, "member", "reset", BOB, "--role", "admin", "--yes")
        _ok(tmp_path / "bob-new", shop, "join", server.url, said.splitlines()[0].strip(),
            "--email", BOB, ENVKEEP_PASSPHRASE="bob's new passphrase")  # fmt: skip

        with_token = _cli(tmp_path / "ci", shop, "get", "KEY", "--env", "prod",
                          ENVKEEP_TOKEN=token)  # fmt: skip
        assert with_token.returncode == 4, with_token.stdout + with_token.stderr
        invited = _cli(tmp_path / "eve", shop, "join", server.url, theirs, "--email",
                       "eve@leftovers.io", ENVKEEP_PASSPHRASE="eve's passphrase")  # fmt: skip
        assert invited.returncode == 4, invited.stdout + invited.stderr
        events = _ok(admin, shop, "audit", "--action", "account.reset")
        assert BOB in events
