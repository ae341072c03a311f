"""A revocation its maker could not rotate (a writer revoking its own token) leaves the
environment's current key with a principal that lost access: `env list` says so to everyone
who lists it, with the command an admin runs, until the key is rotated."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import httpx
import pytest

from envkeep.client.accounts import load_session
from envkeep.settings import load_settings
from tests.server import TeamServer, join, server_per_database
from tests.server import cli as _cli
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TeamServer]:
    yield from server_per_database(request, tmp_path_factory, "rotation-owed")


WARNING = (
    "warning: 1 principal that lost access holds the current key of dev: values written there"
    " are open to them until an admin rotates it: envkeep env rotate-key dev"
)


def test_env_list_names_a_key_a_revoked_principal_still_holds_until_it_is_rotated(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, bob, work = tmp_path / "alice", tmp_path / "bob", tmp_path / "work"
    work.mkdir()
    join(server, alice, work, server.invite("alice@owed.io"), "alice@owed.io")
    _ok(alice, work, "init", "shop")
    _ok(alice, work, "set", "A=1", "--env", "dev")
    code = _ok(alice, work, "member", "invite", "bob@owed.io", "--role", "write",
               "--project", "shop").strip()  # fmt: skip
    join(server, bob, work, code, "bob@owed.io")
    _ok(alice, work, "member", "grant", "bob@owed.io", "write", "--project", "shop")
    bobs = {"ENVKEEP_PASSPHRASE": "bob passphrase"}
    _ok(bob, work, "token", "create", "ci", "--project", "shop", "--env", "dev", "--role",
        "read", **bobs)  # fmt: skip
    before = _cli(alice, work, "env", "list")

    revoked = _cli(bob, work, "token", "revoke", "ci", "--yes", **bobs)  # a writer: no rotation
    owed = _cli(alice, work, "env", "list")
    listed = json.loads(_ok(alice, work, "env", "list", "--json"))
    seen_by_bob = _cli(bob, work, "env", "list", **bobs)
    _ok(alice, work, "env", "rotate-key", "dev")
    after = _cli(alice, work, "env", "list")

    assert before.returncode == 0, before.stderr
    assert "warning" not in before.stderr
    assert revoked.returncode == 0, revoked.stderr
    assert "its key was not rotated" in revoked.stderr
    assert owed.returncode == 0, owed.stderr
    assert owed.stderr.splitlines() == [WARNING], owed.stderr
    assert {e["name"]: e["former_key_holders"] for e in listed} == {
        "dev": 1,
        "staging": 0,
        "prod": 0,
    }
    assert WARNING in seen_by_bob.stderr.splitlines()
    assert after.returncode == 0, after.stderr
    assert "warning" not in after.stderr


def test_removing_again_after_a_removal_cut_short_names_the_rotations_still_owed(
    server: TeamServer, tmp_path: Path
) -> None:
    """`member remove` killed after the server revoked the member and before the client rotated
    the keys: run again, it finds no role, and says which keys are still to rotate."""
    alice, bob, work = tmp_path / "alice", tmp_path / "bob", tmp_path / "work"
    work.mkdir()
    join(server, alice, work, server.invite("alice@cut.io"), "alice@cut.io")
    _ok(alice, work, "init", "shop")
    _ok(alice, work, "set", "A=1", "--env", "dev")
    code = _ok(alice, work, "member", "invite", "bob@cut.io", "--role", "read",
               "--project", "shop", "--env", "dev").strip()  # fmt: skip
    join(server, bob, work, code, "bob@cut.io")
    _ok(alice, work, "member", "seal", "bob@cut.io")
    session = load_session(load_settings({"ENVKEEP_HOME": str(alice)}))
    assert session is not None
    assert session.workspace_id is not None
    bob_id = load_session(load_settings({"ENVKEEP_HOME": str(bob)}))
    assert bob_id is not None
    cut_short = httpx.post(  # the revocation alone, as a removal killed before it rotated
        f"{server.url}/v1/workspaces/{session.workspace_id}/members/remove",
        json={"principal_id": bob_id.principal_id},
        headers={"Authorization": f"Bearer {session.token}"},
    )
    assert cut_short.status_code == 200, cut_short.text

    again = _cli(alice, work, "member", "remove", "bob@cut.io", "--yes")

    assert again.returncode == 1, again.stderr
    assert "holds no role in this workspace; there is nothing to remove" in again.stderr
    assert "left keys its principal still holds unrotated: envkeep env rotate-key dev" in (
        again.stderr
    )
