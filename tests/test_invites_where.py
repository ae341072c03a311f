"""An invite made on this machine counts only on the server and in the workspace it was made in
(`invite_proofs.invited_here`): one made elsewhere for the same email does not make keys shown
here for that email "an invitee of ours without proof"."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest

from envkeep.app.views import PrincipalView
from envkeep.client import invite_proofs
from tests.server import TeamServer, start_server
from tests.server import cli as _cli
from tests.server import join as _join
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TeamServer, TeamServer]]:
    first = start_server(tmp_path_factory.mktemp("first"))
    second = start_server(tmp_path_factory.mktemp("second"))
    yield first, second
    first.stop()
    second.stop()


def test_an_invite_made_on_another_server_does_not_count_here(
    servers: tuple[TeamServer, TeamServer], tmp_path: Path
) -> None:
    """Alice invited bob@ on another server (unused); here Carol invited Bob. Alice's grant to
    Bob pins his key on first sight, with a note, as for anyone Alice did not invite here."""
    here, elsewhere = servers
    alice, carol, bob = tmp_path / "alice", tmp_path / "carol", tmp_path / "bob"
    work, other = tmp_path / "work", tmp_path / "other"
    work.mkdir()
    other.mkdir()
    _join(elsewhere, alice, other, elsewhere.invite("alice@w.io"), "alice@w.io")
    _ok(alice, other, "init", "shop")
    _ok(alice, other, "member", "invite", "bob@w.io", "--role", "read", "--project", "shop")
    _join(here, alice, work, here.invite("alice@w.io"), "alice@w.io")
    _ok(alice, work, "init", "shop")
    code = _ok(alice, work, "member", "invite", "carol@w.io", "--role", "admin").strip()
    _join(here, carol, work, code, "carol@w.io")
    _ok(alice, work, "member", "seal", "carol@w.io")
    code = _ok(carol, work, "member", "invite", "bob@w.io", "--role", "read", "--project", "shop")
    _join(here, bob, work, code.strip(), "bob@w.io")
    _ok(carol, work, "member", "seal", "bob@w.io")

    granted = _cli(alice, work, "member", "grant", "bob@w.io", "write", "--project", "shop")

    assert granted.returncode == 0, granted.stderr
    assert "shows no proof from that invite" not in granted.stderr
    assert "pinned the key of bob@w.io" in granted.stderr  # first seen: a note to compare
    kept = json.loads((alice / "invites.json").read_text())
    assert {(e["email"], e["server"]) for e in kept.values()} == {
        ("carol@w.io", here.url),
        ("bob@w.io", elsewhere.url),
    }


def _ctx(home: Path, server: str, workspace: str) -> Any:
    return SimpleNamespace(
        settings=SimpleNamespace(home=home), server_url=server, workspace_id=workspace
    )


def _bob() -> PrincipalView:
    return PrincipalView(
        id="p-bob",
        name="Bob@W.io",
        kind="user",
        encryption_public=b"e" * 32,
        signing_public=b"s" * 32,
    )


def test_an_invite_counts_in_its_own_workspace_only_and_an_unrecorded_one_everywhere(
    tmp_path: Path,
) -> None:
    invite_proofs.keep_invite_secret(_ctx(tmp_path, "https://a", "w1"), "i-1", "s", "bob@w.io")

    assert invite_proofs.invited_here(_ctx(tmp_path, "https://a", "w1"), _bob())
    assert not invite_proofs.invited_here(_ctx(tmp_path, "https://a", "w2"), _bob())
    assert not invite_proofs.invited_here(_ctx(tmp_path, "https://b", "w1"), _bob())
    # kept by an envkeep that did not record where: it may have been made here
    entries = json.loads((tmp_path / "invites.json").read_text())
    entries["i-2"] = {"secret": "t", "email": "bob@w.io", "made_here": True}
    del entries["i-1"]
    (tmp_path / "invites.json").write_text(json.dumps(entries))
    assert invite_proofs.invited_here(_ctx(tmp_path, "https://b", "w2"), _bob())
