"""`envkeep member logout` with the real CLI against a real team server: of a member with no
live session it says nothing ended, not "ended 0 sessions" followed by how they log in again
and that their keys stay; a whole session id pasted in capitals names the same session."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.cli.test_member_sessions import BOB, _current_session, _team, server
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


def test_a_whole_session_id_in_capitals_ends_that_session(
    server: TeamServer, tmp_path: Path
) -> None:
    admin, bob, shop = _team(server, tmp_path)
    session_id = _current_session(bob, shop)

    ended = _cli(admin, shop, "member", "logout", BOB, "--session", session_id.upper())

    assert ended.returncode == 0, ended.stderr
    assert f"ended 1 session of {BOB}" in ended.stderr
    assert _cli(bob, shop, "whoami").returncode == 4
