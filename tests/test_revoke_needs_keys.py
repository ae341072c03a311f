"""A revocation is all or nothing for the one who runs it, on a real team server: an admin who
holds no key of an environment the revocation would rotate (invited as admin, joined, never
sealed a key) is refused before anything changes, by `member revoke`, `member remove` and
`token revoke` alike, naming the admins who hold those keys; an admin who holds the keys
revokes and rotates as before."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.server import TeamServer, join, start_server
from tests.server import cli as _cli
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("revoke-keys"))
    yield running
    running.stop()


DEV = ("--project", "shop", "--env", "dev")


def test_a_keyless_admins_revocation_is_refused_up_front_and_a_key_holders_rotates(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, carol, bob, work = (tmp_path / n for n in ("alice", "carol", "bob", "work"))
    work.mkdir()
    join(server, alice, work, server.invite("alice@keys.io"), "alice@keys.io")
    _ok(alice, work, "init", "shop")
    join(
        server,
        carol,
        work,
        _ok(alice, work, "member", "invite", "carol@keys.io", "--role", "admin").strip(),
        "carol@keys.io",
    )
    join(
        server,
        bob,
        work,
        _ok(alice, work, "member", "invite", "bob@keys.io", "--role", "read", *DEV).strip(),
        "bob@keys.io",
    )
    _ok(alice, work, "member", "grant", "bob@keys.io", "read", *DEV)
    _ok(alice, work, "token", "create", "ci", "--role", "read", *DEV)
    before = json.loads(_ok(alice, work, "member", "list", "--json"))

    revoke = _cli(carol, work, "member", "revoke", "--yes", "bob@keys.io", *DEV)
    remove = _cli(carol, work, "member", "remove", "bob@keys.io", "--yes")
    token = _cli(carol, work, "token", "revoke", "ci", "--yes")

    for refused in (revoke, remove, token):
        assert refused.returncode == 4, refused.stderr
        assert "you hold no key for shop/dev" in refused.stderr, refused.stderr
        assert "nothing changed" in refused.stderr, refused.stderr
        assert "ask one who holds it (alice@keys.io) to do it" in refused.stderr, refused.stderr
        assert "envkeep member grant carol@keys.io admin" in refused.stderr, refused.stderr
        assert "run it again with --revoke-now" in refused.stderr, refused.stderr
    assert json.loads(_ok(alice, work, "member", "list", "--json")) == before
    assert [t["revoked"] for t in json.loads(_ok(alice, work, "token", "list", "--json"))] == [
        False
    ]

    urgent = _cli(
        carol, work, "token", "revoke", "ci", "--yes", "--revoke-now"
    )  # the access cut now
    assert urgent.returncode == 1, urgent.stderr
    assert "revoked, but these keys were not rotated: shop/dev" in urgent.stderr, urgent.stderr
    assert [t["revoked"] for t in json.loads(_ok(alice, work, "token", "list", "--json"))] == [True]

    revoked = _cli(alice, work, "member", "revoke", "--yes", "bob@keys.io", *DEV)
    assert revoked.returncode == 0, revoked.stderr
    assert "revoked bob@keys.io's read on shop/dev; new keys for: shop/dev" in revoked.stderr, (
        revoked.stderr
    )
    assert "bob@keys.io" not in _ok(alice, work, "member", "list")
