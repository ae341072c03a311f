"""What a member whose role is on one project or one environment may list, on a real team
server (SQLite and PostgreSQL): the environments it reads, its project's services, and the
role bindings beside its own (the workspace's and its scope's), nothing of other scopes."""

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


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TeamServer]:
    yield from server_per_database(request, tmp_path_factory, "listing")


class Team:
    """Alice, admin of a workspace with projects shop (dev, staging, prod; service api) and
    blog; Bob writes to shop's dev only, Carol reads shop, Dan admins blog."""

    def __init__(self, server: TeamServer, root: Path) -> None:
        self.root, self.work = root, root / "work"
        self.blog = root / "blog"
        self.work.mkdir()
        self.blog.mkdir()
        join(server, root / "alice", self.work, server.invite("alice@list.io"), "alice@list.io")
        self.a("init", "shop")
        self.a("service", "add", "api")
        _ok(root / "alice", self.blog, "init", "blog")
        for who, scope in [
            ("bob", ("write", "--project", "shop", "--env", "dev")),
            ("carol", ("read", "--project", "shop")),
            ("dan", ("admin", "--project", "blog")),
        ]:
            email = f"{who}@list.io"
            code = self.a("member", "invite", email, "--role", *scope).strip()
            join(server, root / who, self.work, code, email)
            self.a("member", "grant", email, *scope)

    def a(self, *args: str) -> str:
        return _ok(self.root / "alice", self.work, *args)

    def as_(self, who: str, *args: str) -> str:
        return _ok(self.root / who, self.work, *args)

    def members(self, who: str) -> set[tuple[str, str, str, str]]:
        rows = json.loads(self.as_(who, "member", "list", "--json"))
        return {
            (r["principal"]["name"], r["role"], r["project"] or "*", r["environment"] or "*")
            for r in rows
        }


@pytest.fixture(scope="module")
def team(server: TeamServer, tmp_path_factory: pytest.TempPathFactory) -> Team:
    return Team(server, tmp_path_factory.mktemp("team"))


def test_an_environment_member_lists_only_the_environments_it_reads(team: Team) -> None:
    listed = json.loads(team.as_("bob", "env", "list", "--json"))
    assert [e["name"] for e in listed] == ["dev"]
    every = json.loads(team.as_("carol", "env", "list", "--json"))
    assert [e["name"] for e in every] == ["dev", "staging", "prod"]


def test_an_environment_member_lists_its_projects_services(team: Team) -> None:
    rows = team.as_("bob", "service", "list").splitlines()[1:]
    assert [row.split()[0] for row in rows] == ["api"]


def test_a_member_of_another_project_lists_nothing_of_this_one(team: Team) -> None:
    """Nor learns that it exists: it is answered as a project that does not."""
    refused = _cli(team.root / "dan", team.work, "env", "list")
    assert refused.returncode == 1, refused.stderr
    assert "project 'shop' not found (projects you can read: blog)" in refused.stderr
    assert _cli(team.root / "dan", team.work, "service", "list").returncode == 1


def test_members_see_the_bindings_beside_their_own_and_no_others(team: Team) -> None:
    alice = ("alice@list.io", "admin", "*", "*")
    bob = ("bob@list.io", "write", "shop", "dev")
    carol = ("carol@list.io", "read", "shop", "*")
    dan = ("dan@list.io", "admin", "blog", "*")
    assert team.members("alice") == {alice, bob, carol, dan}
    assert team.members("carol") == {alice, bob, carol}
    assert team.members("bob") == {alice, bob, carol}
    assert team.members("dan") == {alice, dan}
