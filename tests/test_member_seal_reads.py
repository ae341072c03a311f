"""`member seal` of several members reads each environment once: every grant read every
environment of its scope again for the caller's own share of its key (30 members x 4
environments of 3,600 variables: 120 reads of every value, 23 s)."""

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

SNAPSHOT = '/projects/{project}/environments/{environment}/snapshot"'  # its route, as logged
PROOFS = '/principals/{principal_id}/invite-proofs"'  # its route, as logged


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("seal-reads"))
    yield running
    running.stop()


def _snapshot_reads(server: TeamServer) -> int:
    return server.log.read_text().count(SNAPSHOT)


def test_member_seal_reads_each_environment_once_for_all_members(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = tmp_path / "alice", tmp_path / "work"
    work.mkdir()
    _join(server, alice, work, server.invite("alice@reads.io"), "alice@reads.io")
    _ok(alice, work, "init", "shop")
    _ok(alice, work, "set", "DB=first", "--env", "staging")
    environments = len(json.loads(_ok(alice, work, "env", "list", "--json")))
    members = ["bob@reads.io", "carol@reads.io", "dave@reads.io"]
    for email in members:
        role = ("--role", "read", "--project", "shop")
        invited = _cli(alice, work, "member", "invite", email, *role)
        assert invited.returncode == 0, invited.stderr
        _join(server, tmp_path / email, work, invited.stdout.strip(), email)
    before = _snapshot_reads(server)

    sealed = _cli(alice, work, "member", "seal")

    assert sealed.returncode == 0, sealed.stderr
    assert _snapshot_reads(server) - before == environments  # not one read per member
    for email in members:
        assert f"sealed {environments} environment keys to {email}" in sealed.stderr
        home = tmp_path / email
        assert _ok(home, work, "get", "DB", "--env", "staging") == "first\n"


def test_member_remove_asks_for_each_readers_invite_proofs_once_for_all_its_rotations(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = tmp_path / "alice", tmp_path / "work"
    work.mkdir()
    _join(server, alice, work, server.invite("alice@proofs.io"), "alice@proofs.io")
    _ok(alice, work, "init", "shop")
    members = ["bob@proofs.io", "carol@proofs.io", "dave@proofs.io"]
    for email in members:
        invited = _cli(
            alice, work, "member", "invite", email, "--role", "read", "--project", "shop"
        )
        assert invited.returncode == 0, invited.stderr
        _join(server, tmp_path / email, work, invited.stdout.strip(), email)
    _ok(alice, work, "member", "seal")
    before = server.log.read_text().count(PROOFS)

    removed = _cli(alice, work, "member", "remove", "bob@proofs.io", "--yes")

    assert removed.returncode == 0, removed.stderr
    assert "new keys for: shop/dev, shop/prod, shop/staging" in removed.stderr, removed.stderr
    assert server.log.read_text().count(PROOFS) - before == 2  # carol's and dave's, once each
