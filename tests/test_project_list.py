"""`envkeep project list`: the projects one can use. A workspace-wide member lists every
project of the workspace; a member whose roles lie in some projects lists those, and is told
so; the embedded store lists its own; the checkout's project is marked. On a real server."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

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
    yield from server_per_database(request, tmp_path_factory, "project-list")


def test_members_list_the_projects_they_can_use(server: TeamServer, tmp_path: Path) -> None:
    alice, shop, crm = tmp_path / "alice", tmp_path / "shop", tmp_path / "crm"
    shop.mkdir()
    crm.mkdir()
    join(server, alice, shop, server.invite("alice@list.io"), "alice@list.io")
    _ok(alice, shop, "init", "shop")
    _ok(alice, crm, "init", "crm")
    code = _ok(
        alice, shop, "member", "invite", "carol@list.io", "--role", "read", "--project", "crm"
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    carol = tmp_path / "carol"
    join(server, carol, empty, code.strip(), "carol@list.io")

    admin = _cli(alice, shop, "project", "list")
    admin_json = json.loads(_ok(alice, shop, "project", "list", "--json"))
    reader = _cli(carol, empty, "project", "list")
    nowhere = _cli(carol, empty, "get", "DB")

    assert admin.returncode == 0, admin.stderr
    assert [line.rstrip() for line in admin.stdout.splitlines()[1:]] == ["crm", "shop     yes"]
    assert admin.stderr == ""
    assert admin_json == [{"name": "crm", "here": False}, {"name": "shop", "here": True}]
    assert reader.returncode == 0, reader.stderr
    assert [line.strip() for line in reader.stdout.splitlines()[1:]] == ["crm"]
    assert "the projects your roles name" in reader.stderr
    assert nowhere.returncode == 2, nowhere.stderr
    assert nowhere.stderr.splitlines()[-1].endswith(
        "the projects you can use: envkeep project list"
    )


def test_the_embedded_store_lists_its_own_projects(tmp_path: Path) -> None:
    from tests.server import cli_ok

    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    first = _cli(home, work, "project", "list")
    cli_ok(home, work, "init", "solo")

    assert (first.returncode, first.stdout) == (0, ""), first.stderr
    assert "no projects yet: create one with envkeep init NAME" in first.stderr
    assert json.loads(cli_ok(home, work, "project", "list", "--json")) == [
        {"name": "solo", "here": True}
    ]
