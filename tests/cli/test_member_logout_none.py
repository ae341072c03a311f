"""`envkeep member logout` of a member with no live session, with the real CLI against a real
team server: it says nothing ended, not "ended 0 sessions" followed by how they log in again
and that their keys stay."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.cli.test_member_sessions import BOB, _team, server
from tests.server import cli as _cli

if TYPE_CHECKING:
    from pathlib import Path

    from tests.server import TeamServer

__all__ = ["server"]  # the fixture, shared with test_member_sessions


def test_a_logout_that_ends_nothing_says_so_and_no_more(server: TeamServer, tmp_path: Path) -> None:
    admin, _bob, shop = _team(server, tmp_path)
    first = _cli(admin, shop, "member", "logout", BOB)

    again = _cli(admin, shop, "member", "logout", BOB)

    assert first.returncode == 0, first.stderr
    assert f"ended 1 session of {BOB}" in first.stderr
    assert again.returncode == 0, again.stderr
    assert f"{BOB} had no live sessions; nothing ended" in again.stderr
    assert "ended 0" not in again.stderr
    assert "envkeep login" not in again.stderr
    assert "member reset" not in again.stderr
