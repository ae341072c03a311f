"""`member seal` on a real team server: after an invite and a join, one command seals the
member the keys of the role the invite gave (no grant retyping role and scope); the hints of
`member invite` and `member list` point to it (`join`'s: tests/test_workspace_list_roles.py)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.server import TeamServer, start_server
from tests.server import cli as _cli
from tests.server import join as _join
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("seal"))
    yield running
    running.stop()


def _founder(server: TeamServer, root: Path, email: str) -> tuple[Path, Path]:
    """(home, project dir) of the admin of a new workspace with project shop, whose staging
    holds DB=first."""
    home, work = root / "alice", root / "work"
    work.mkdir()
    _join(server, home, work, server.invite(email), email)
    _ok(home, work, "init", "shop")
    _ok(home, work, "set", "DB=first", "--env", "staging")
    return home, work


def _invited(
    server: TeamServer, alice: Path, home: Path, work: Path, email: str, *role: str
) -> str:
    """``email`` invited by ``alice`` with ``role`` (--role R --project P …) joins; the
    invite's stderr."""
    invited = _cli(alice, work, "member", "invite", email, *role)
    assert invited.returncode == 0, invited.stderr
    _join(server, home, work, invited.stdout.strip(), email)
    return invited.stderr


def test_a_joined_member_is_sealed_the_invites_keys_by_member_seal_alone(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = _founder(server, tmp_path, "alice@seal.io")
    bob = tmp_path / "bob"
    said = _invited(server, alice, bob, work, "bob@seal.io", "--role", "write", "--project", "shop")
    listed = _cli(alice, work, "member", "list")

    sealed = _cli(alice, work, "member", "seal", "bob@seal.io")

    assert "Once they join, envkeep member seal bob@seal.io gives them the keys" in said, said
    assert "member grant" not in said, said
    assert "until an admin seals them the keys: envkeep member seal bob@seal.io\n" in listed.stderr
    assert sealed.returncode == 0, sealed.stderr
    assert sealed.stderr == "sealed 3 environment keys to bob@seal.io (write on shop)\n"
    assert _ok(bob, work, "get", "DB", "--env", "staging") == "first\n"
    after = json.loads(_ok(alice, work, "member", "list", "--json"))
    assert [m["keys_missing"] for m in after] == [0, 0]
    assert "member seal" not in _cli(alice, work, "member", "list").stderr


def test_member_seal_without_names_seals_everyone_owed_then_finds_nothing_to_seal(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = _founder(server, tmp_path, "alice@all.io")
    bob, carol = tmp_path / "bob", tmp_path / "carol"
    _invited(server, alice, bob, work, "bob@all.io", "--role", "read", "--project", "shop")
    dev = ("--role", "write", "--project", "shop", "--env", "dev")
    _invited(server, alice, carol, work, "carol@all.io", *dev)

    everyone = _cli(alice, work, "member", "seal")
    again = _cli(alice, work, "member", "seal")
    named = _cli(alice, work, "member", "seal", "bob@all.io")

    assert everyone.returncode == 0, everyone.stderr
    assert everyone.stderr.splitlines() == [
        "sealed 3 environment keys to bob@all.io (read on shop)",
        "sealed 1 environment key to carol@all.io (write on shop/dev)",
    ]
    assert _ok(bob, work, "get", "DB", "--env", "staging") == "first\n"
    _ok(carol, work, "set", "FLAG=on", "--env", "dev")
    assert (again.returncode, again.stderr) == (
        0,
        "nothing to seal: every member holds the keys their roles open\n",
    )
    assert (named.returncode, named.stderr) == (
        0,
        "nothing to seal to bob@all.io: they hold every key their roles open\n",
    )


def test_member_seal_refuses_someone_named_who_is_no_member_and_seals_the_others(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = _founder(server, tmp_path, "alice@none.io")
    bob = tmp_path / "bob"
    _invited(server, alice, bob, work, "bob@none.io", "--role", "read", "--project", "shop")
    _ok(alice, work, "member", "invite", "dan@none.io", "--role", "read", "--project", "shop")

    stranger = _cli(alice, work, "member", "seal", "eve@none.io", "bob@none.io")
    pending = _cli(alice, work, "member", "seal", "dan@none.io")

    assert stranger.returncode == 1, stranger.stderr
    assert "sealed 3 environment keys to bob@none.io (read on shop)" in stranger.stderr
    assert (
        "could not seal keys to eve@none.io: eve@none.io is no member of this workspace"
        in stranger.stderr
    ), stranger.stderr
    assert _ok(bob, work, "get", "DB", "--env", "staging") == "first\n"
    assert pending.returncode == 1, pending.stderr
    assert "dan@none.io has not joined yet (their invite is pending)" in pending.stderr
    assert "once they join with its code, run: envkeep member seal dan@none.io" in pending.stderr
