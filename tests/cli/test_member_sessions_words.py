"""What `member sessions`, `member logout` and `session list` say, with the real CLI against a
real team server on SQLite and PostgreSQL: an admin listing their own sessions is told that
listing is not for them (it said they are "not ended this way"), a logout's advice to reset
reads as advice on top of it, the logged-out member is told an admin may have ended their
session, and the commands' one-line help in their group's listing is a whole sentence."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.cli.test_member_sessions import BOB, _team, server
from tests.server import cli as _cli

if TYPE_CHECKING:
    from pathlib import Path

    from tests.server import TeamServer

__all__ = ["server"]  # the fixture, shared with test_member_sessions


def test_an_admin_listing_their_own_sessions_is_pointed_to_session_list(
    server: TeamServer, tmp_path: Path
) -> None:
    admin, _bob, shop = _team(server, tmp_path)

    own = _cli(admin, shop, "member", "sessions", "admin@sessions.io")

    assert own.returncode == 2, own.stderr
    assert own.stderr.splitlines() == [
        "error: your own sessions are not listed this way",
        "hint: see yours with: envkeep session list",
    ]


def test_a_logout_advises_a_reset_too_and_tells_the_member_an_admin_may_have_ended_it(
    server: TeamServer, tmp_path: Path
) -> None:
    admin, bob, shop = _team(server, tmp_path)

    ended = _cli(admin, shop, "member", "logout", BOB)
    refused = _cli(bob, shop, "whoami")

    assert ended.returncode == 0, ended.stderr
    assert f"reset the account too (envkeep member reset {BOB} --role ROLE)" in ended.stderr
    assert "instead" not in ended.stderr
    assert refused.returncode == 4, refused.stderr
    assert "was ended (by you or an admin, or by a passphrase change" in refused.stderr


def test_the_session_commands_say_what_they_do_in_one_whole_sentence_in_their_group(
    tmp_path: Path,
) -> None:
    member = _cli(tmp_path / "home", tmp_path, "member", "--help").stdout.splitlines()
    session = _cli(tmp_path / "home", tmp_path, "session", "--help").stdout.splitlines()

    assert "  sessions  List a member's live login sessions." in member
    assert "  logout    Log a member out." in member
    assert "  list    List your live login sessions." in session
