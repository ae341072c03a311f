"""`member reset` and `member logout` of a member who holds a role in another workspace too,
with the real CLI against a real team server on SQLite and PostgreSQL. The reset is refused
(it reaches this workspace only): it asked first whether to go ahead and only then, with
--yes, learnt the refusal; now the server's check refuses it before anything is asked. The
logout's advice named that same reset; now it says what goes through: the member removed
from the other workspace first, then the reset, which then works."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.cli.test_member_sessions import BOB, _team, server
from tests.server import cli as _cli
from tests.server import join
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from pathlib import Path

    from tests.server import TeamServer

__all__ = ["server"]  # the fixture, shared with test_member_sessions

SHARED = f"error: {BOB} holds roles in another workspace too"


def test_a_reset_of_a_member_another_workspace_shares_is_refused_before_asking(
    server: TeamServer, tmp_path: Path
) -> None:
    admin, bob, shop = _team(server, tmp_path)
    away = tmp_path / "away"  # no checkout: bob's own workspace is the one in use there
    away.mkdir()
    _ok(bob, away, "workspace", "create", "bobs")

    refused = _cli(admin, shop, "member", "reset", BOB, "--role", "read")

    assert refused.returncode == 4, refused.stderr  # not authorised, not "pass --yes" (2)
    assert refused.stderr.startswith(SHARED), refused.stderr
    assert "--yes" not in refused.stderr
    assert BOB in _ok(admin, shop, "member", "list")  # nothing changed
    assert _cli(bob, shop, "get", "KEY", "--env", "prod").returncode == 0


def test_a_logout_of_a_member_of_two_of_your_workspaces_advises_the_reset_that_works(
    server: TeamServer, tmp_path: Path
) -> None:
    admin, bob, shop = _team(server, tmp_path)
    away = tmp_path / "away"  # no checkout: the workspace in use, tools, there
    away.mkdir()
    _ok(admin, away, "workspace", "create", "tools")
    _ok(admin, away, "workspace", "use", "tools")
    join(server, bob, away, _ok(admin, away, "member", "invite", BOB, "--role", "read"), BOB)

    logout = _cli(admin, shop, "member", "logout", BOB)
    reset_now = _cli(admin, shop, "member", "reset", BOB, "--role", "read", "--yes")

    assert logout.returncode == 0, logout.stderr
    advice = logout.stderr.splitlines()[-1]
    assert "they hold roles in another of your workspaces" in advice, advice
    assert f"envkeep member remove {BOB}" in advice
    assert advice.endswith(f"then back in this one: envkeep member reset {BOB} --role ROLE")
    assert reset_now.returncode == 4, reset_now.stderr  # as the advice says
    assert reset_now.stderr.startswith(SHARED), reset_now.stderr

    _ok(admin, away, "member", "remove", BOB, "--yes")  # from tools, the one in use there
    reset = _cli(admin, shop, "member", "reset", BOB, "--role", "read", "--yes")

    assert reset.returncode == 0, reset.stderr
    assert reset.stdout.startswith("ek_inv_"), reset.stdout


def test_a_logout_of_a_member_of_this_workspace_alone_advises_the_reset_itself(
    server: TeamServer, tmp_path: Path
) -> None:
    admin, _bob, shop = _team(server, tmp_path)

    logout = _cli(admin, shop, "member", "logout", BOB)

    assert logout.returncode == 0, logout.stderr
    assert logout.stderr.splitlines()[-1].endswith(
        f"reset the account too (envkeep member reset {BOB} --role ROLE)"
    )
    assert "another of your workspaces" not in logout.stderr
