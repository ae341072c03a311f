"""`member grant` that would lower a role held at that exact scope asks first, on a real team
server: without --yes (and off a terminal) it is refused with what lowering does, naming the
tokens it would revoke and the keys it would rotate, and nothing changes; with --yes it lowers
as before; a grant that raises or keeps a role asks nothing."""

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
    running = start_server(tmp_path_factory.mktemp("lowering"))
    yield running
    running.stop()


STAGING = ("--project", "shop", "--env", "staging")


def _erin_with_a_token(server: TeamServer, root: Path, tag: str) -> tuple[Path, Path, str]:
    """(Alice's home, the project dir, Erin's email): Alice administers the workspace and
    project shop; Erin holds write on shop/staging and made token erin-deploy there."""
    alice, erin, work = root / "alice", root / "erin", root / "work"
    work.mkdir()
    join(server, alice, work, server.invite(f"alice@{tag}.io"), f"alice@{tag}.io")
    _ok(alice, work, "init", "shop")
    email = f"erin@{tag}.io"
    join(
        server,
        erin,
        work,
        _ok(alice, work, "member", "invite", email, "--role", "write", *STAGING).strip(),
        email,
    )
    _ok(alice, work, "member", "grant", email, "write", *STAGING)
    _ok(erin, work, "token", "create", "erin-deploy", "--role", "write", *STAGING)
    return alice, work, email


def _state(alice: Path, work: Path, email: str) -> tuple[set[str], bool]:
    """(Erin's roles as ROLE@project/env, whether erin-deploy is revoked)."""
    roles = {
        f"{m['role']}@{m['project']}/{m['environment']}"
        for m in json.loads(_ok(alice, work, "member", "list", "--json"))
        if m["principal"]["name"] == email
    }
    [token] = json.loads(_ok(alice, work, "token", "list", "--json"))
    return roles, bool(token["revoked"])


def test_lowering_a_role_without_yes_is_refused_with_what_it_does_and_changes_nothing(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work, erin = _erin_with_a_token(server, tmp_path, "refuse")

    refused = _cli(alice, work, "member", "grant", erin, "read", *STAGING)

    assert refused.returncode == 2, refused.stderr
    said = (
        f"error: {erin} holds write on shop/staging; granting read lowers it, revokes token"
        " erin-deploy and rotates the keys of shop/staging; pass --yes to go ahead"
    )
    assert said in refused.stderr, refused.stderr
    assert "nothing changed" in refused.stderr, refused.stderr
    assert _state(alice, work, erin) == ({"write@shop/staging"}, False)


def test_lowering_with_yes_lowers_and_revokes_and_raising_asks_nothing(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work, erin = _erin_with_a_token(server, tmp_path, "yes")

    lowered = _cli(alice, work, "member", "grant", erin, "read", *STAGING, "--yes")
    raised = _cli(alice, work, "member", "grant", erin, "write", *STAGING)

    assert lowered.returncode == 0, lowered.stderr
    done = (
        f"{erin} now holds read on shop/staging; 0 environment keys shared with them; revoked 1"
        " token that depended on their roles (erin-deploy); new keys for: shop/staging"
    )
    assert done in lowered.stderr, lowered.stderr
    assert raised.returncode == 0, raised.stderr
    assert f"{erin} now holds write on shop/staging" in raised.stderr, raised.stderr
    assert _state(alice, work, erin) == ({"write@shop/staging"}, True)
