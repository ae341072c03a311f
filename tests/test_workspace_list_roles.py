"""`workspace list` shows the role held in each workspace (two tenants may share a name, and
the role tells them apart), and says so when the workspace in use is no longer the user's."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from envkeep.client.workspaces import role_words
from tests.server import TeamServer, join, server_per_database
from tests.server import cli as _cli
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="module", params=["sqlite"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TeamServer]:
    yield from server_per_database(request, tmp_path_factory, "workspace-roles")


def _rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines()[1:]]


def test_each_workspace_shows_its_highest_role_and_a_lost_one_is_noted(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, carol, work = tmp_path / "alice", tmp_path / "carol", tmp_path / "work"
    work.mkdir()
    join(server, alice, work, server.invite("alice@ws.io"), "alice@ws.io")
    _ok(alice, work, "init", "shop")
    code = _ok(alice, work, "member", "invite", "carol@ws.io", "--role", "write",
               "--project", "shop").strip()  # fmt: skip
    join(server, carol, work, code, "carol@ws.io")
    _ok(alice, work, "member", "grant", "carol@ws.io", "write", "--project", "shop")
    away = tmp_path / "away"  # no checkout: commands act in the workspace in use
    away.mkdir()
    _ok(alice, away, "workspace", "create", "acme")
    _ok(alice, away, "workspace", "use", "acme")
    code = _ok(alice, away, "member", "invite", "carol@ws.io", "--role", "read").strip()
    join(server, carol, away, code, "carol@ws.io")
    _ok(alice, away, "member", "grant", "carol@ws.io", "read")  # the whole workspace
    carols = {"ENVKEEP_PASSPHRASE": "carol passphrase"}
    _ok(carol, away, "workspace", "use", "acme", **carols)

    listed = _cli(carol, away, "workspace", "list", **carols)
    _ok(alice, away, "member", "remove", "carol@ws.io", "--yes")  # from acme, the one in use
    lost = _cli(carol, away, "workspace", "list", **carols)

    assert listed.returncode == 0, listed.stderr
    assert _rows(listed.stdout)[0][:3] == ["*", "acme", "read"], listed.stdout
    assert _rows(listed.stdout)[1][:3] == ["default", "write", "(project)"], listed.stdout
    assert lost.returncode == 0, lost.stderr
    assert [row[0] for row in _rows(lost.stdout)] == ["default"], lost.stdout
    assert lost.stderr.startswith("note: the workspace in use ("), lost.stderr
    assert "is not one of yours any more (no role there)" in lost.stderr


def test_role_words_name_where_a_role_below_the_workspace_is_held() -> None:
    assert role_words({"role": "admin", "level": "workspace"}) == "admin"
    assert role_words({"role": "read", "level": "environment"}) == "read (environment)"
    assert role_words({"id": "1", "name": "old"}) == "-"  # an older server says nothing


def test_joining_before_the_keys_are_sealed_says_so_with_the_fingerprint(
    server: TeamServer, tmp_path: Path
) -> None:
    admin, dave, work = tmp_path / "admin", tmp_path / "dave", tmp_path / "work"
    work.mkdir()
    admins = {"ENVKEEP_PASSPHRASE": "admin passphrase"}
    invite = server.invite("admin@pending.io")
    founded = _cli(admin, work, "join", server.url, invite, "--email", "admin@pending.io", **admins)
    _ok(admin, work, "init", "shop")
    code = _ok(admin, work, "member", "invite", "dave@pending.io", "--role", "read",
               "--project", "shop").strip()  # fmt: skip
    daves = {"ENVKEEP_PASSPHRASE": "dave passphrase"}

    joined = _cli(dave, work, "join", server.url, code, "--email", "dave@pending.io", **daves)
    shown = _ok(dave, work, "whoami", "--fingerprint", **daves)

    assert founded.returncode == 0, founded.stderr
    assert "note:" not in founded.stderr  # the first admin holds its role at once
    assert joined.returncode == 0, joined.stderr
    fingerprint = shown.split("fingerprint: ")[1].strip()
    assert joined.stderr.splitlines()[-1] == (
        "note: your role's keys are not sealed to you yet: an admin runs envkeep member seal"
        " dave@pending.io for them; your key's fingerprint, if they ask to compare:"
        f" {fingerprint}"
    ), joined.stderr


def test_a_removed_members_init_in_the_teams_checkout_says_to_make_a_workspace_first(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, carol, work = tmp_path / "alice", tmp_path / "carol", tmp_path / "work"
    work.mkdir()
    join(server, alice, work, server.invite("alice@removed.io"), "alice@removed.io")
    _ok(alice, work, "init", "shop")  # envkeep.toml names alice's workspace
    code = _ok(alice, work, "member", "invite", "carol@removed.io", "--role", "read",
               "--project", "shop").strip()  # fmt: skip
    join(server, carol, work, code, "carol@removed.io")  # alice's workspace is carol's in use
    _ok(alice, work, "member", "remove", "carol@removed.io", "--yes")

    refused = _cli(carol, work, "init", ENVKEEP_PASSPHRASE="carol passphrase")

    assert refused.returncode == 4, refused.stderr
    assert "which you are not a member of" in refused.stderr
    # The workspace carol uses is still alice's: deleting the line alone would fail again.
    assert "envkeep workspace create NAME, then envkeep workspace use NAME" in refused.stderr
