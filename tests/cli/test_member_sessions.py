"""`envkeep member sessions` and `envkeep member logout` with the real CLI against a real
team server on SQLite and PostgreSQL: an admin cuts off bob's stolen laptop (a copy of his
HOME) by one session's id, then all of them; bob's next command is refused and told to log in
again, and he logs back in to the same account and role."""

from __future__ import annotations

import json
import shutil
from typing import TYPE_CHECKING

import pytest

from tests.server import TeamServer, join, server_per_database
from tests.server import cli as _cli
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

BOB = "bob@sessions.io"


@pytest.fixture(params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TeamServer]:
    yield from server_per_database(request, tmp_path_factory, "member-sessions")


def _team(server: TeamServer, tmp_path: Path) -> tuple[Path, Path, Path]:
    """(admin's HOME, bob's HOME, the checkout): project shop (prod), bob reads it."""
    admin, bob, shop = tmp_path / "admin", tmp_path / "bob", tmp_path / "shop"
    shop.mkdir()
    join(server, admin, shop, server.invite("admin@sessions.io"), "admin@sessions.io")
    _ok(admin, shop, "init", "shop", "--env", "prod")
    _ok(admin, shop, "set", "KEY=value", "--env", "prod", "--yes")
    code = _ok(admin, shop, "member", "invite", BOB, "--role", "read", "--project", "shop")
    join(server, bob, shop, code.strip(), BOB)
    _ok(admin, shop, "member", "seal", BOB)
    return admin, bob, shop


def _current_session(home: Path, shop: Path) -> str:
    listed = json.loads(_ok(home, shop, "session", "list", "--json"))
    return str(next(s["id"] for s in listed if s["current"]))


def test_an_admin_logs_out_a_stolen_laptop_then_every_session_and_bob_logs_in_again(
    server: TeamServer, tmp_path: Path
) -> None:
    admin, bob, shop = _team(server, tmp_path)
    laptop = tmp_path / "laptop"
    shutil.copytree(bob, laptop)  # the stolen laptop holds bob's session as it was
    desk = tmp_path / "desk"
    _ok(desk, shop, "login", server.url, "--email", BOB, ENVKEEP_PASSPHRASE="bob passphrase")
    stolen = _current_session(laptop, shop)

    listed = json.loads(_ok(admin, shop, "member", "sessions", BOB, "--json"))
    table = _ok(admin, shop, "member", "sessions", BOB)
    one = _cli(admin, shop, "member", "logout", BOB, "--session", stolen[:8])

    assert sorted(s["id"] for s in listed) == sorted([stolen, _current_session(desk, shop)])
    assert all(
        set(s) == {"id", "created_at", "expires_at", "created_from", "last_used_at", "user_agent"}
        for s in listed
    )
    assert stolen[:8] in table  # by the start member logout --session takes
    assert one.returncode == 0, one.stderr
    assert f"ended 1 session of {BOB}" in one.stderr
    assert "envkeep member reset" in one.stderr  # what to do if the keys went with it
    refused = _cli(laptop, shop, "get", "KEY", "--env", "prod")
    assert refused.returncode == 4, refused.stderr
    assert "log in" in refused.stderr
    assert _ok(desk, shop, "get", "KEY", "--env", "prod") == "value\n"

    every = _cli(admin, shop, "member", "logout", BOB)

    assert every.returncode == 0, every.stderr
    assert f"ended 1 session of {BOB}" in every.stderr  # the desk's: the laptop's is over
    assert _cli(desk, shop, "whoami").returncode == 4
    assert "no live sessions" in _cli(admin, shop, "member", "sessions", BOB).stderr
    events = json.loads(_ok(admin, shop, "audit", "--action", "member.logout", "--json"))
    assert [json.loads(e["details"])["sessions_ended"] for e in events] == [1, 1]
    _ok(desk, shop, "login", server.url, "--email", BOB, ENVKEEP_PASSPHRASE="bob passphrase")
    assert _ok(desk, shop, "get", "KEY", "--env", "prod") == "value\n"  # keys and role kept


def test_member_logout_refuses_the_admin_itself_a_token_and_a_session_id_of_no_one(
    server: TeamServer, tmp_path: Path
) -> None:
    admin, bob, shop = _team(server, tmp_path)
    _ok(admin, shop, "token", "create", "ci", "--project", "shop")

    own = _cli(admin, shop, "member", "logout", "admin@sessions.io")
    token = _cli(admin, shop, "member", "logout", "ci")
    nobody = _cli(admin, shop, "member", "logout", BOB, "--session", "ffffffff")

    assert own.returncode == 2
    assert "envkeep session revoke" in own.stderr
    assert token.returncode == 2
    assert "envkeep token revoke ci" in token.stderr
    assert nobody.returncode != 0
    assert f"envkeep member sessions {BOB}" in nobody.stderr
    assert _ok(bob, shop, "get", "KEY", "--env", "prod") == "value\n"
    assert _ok(admin, shop, "whoami")
