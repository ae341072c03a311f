"""Names a member may not see cannot be probed, on a real team server (SQLite and PostgreSQL):
a project none of the caller's roles reaches, and its environments, are answered exactly as
a project that does not exist (status, code, message and hint, but for the name); inside a
project the caller reaches, environment names are not secret, so a sibling environment it
may not read is still refused as such (403, `needed`). A token the caller does not see in
`token list` is answered, on revoke and rotate, as a token that does not exist."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from envkeep.app import credentials
from tests.authz_support import KEY
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
    yield from server_per_database(request, tmp_path_factory, "unreached")


class Team:
    """Alice, the workspace's admin, with projects shop (dev, staging, prod) and billing (dev,
    prod); Bob writes to shop, Carol reads shop/staging; Bob made token bobci on shop/dev."""

    def __init__(self, server: TeamServer, root: Path) -> None:
        self.server, self.root = server, root
        self.work, self.billing = root / "work", root / "billing"
        self.work.mkdir()
        self.billing.mkdir()
        join(server, root / "alice", self.work, server.invite("alice@probe.io"), "alice@probe.io")
        self.a("init", "shop", "--env", "dev", "--env", "staging", "--env", "prod")
        _ok(root / "alice", self.billing, "init", "billing", "--env", "dev", "--env", "prod")
        for who, role, scope in (
            ("bob", "write", ("--project", "shop")),
            ("carol", "read", ("--project", "shop", "--env", "staging")),
        ):
            code = self.a("member", "invite", f"{who}@probe.io", "--role", role, *scope).strip()
            join(server, root / who, self.work, code, f"{who}@probe.io")
            self.a("member", "grant", f"{who}@probe.io", role, *scope)
        self.as_("bob", "token", "create", "bobci", "--project", "shop", "--env", "dev")

    def a(self, *args: str) -> str:
        return _ok(self.root / "alice", self.work, *args)

    def as_(self, who: str, *args: str) -> str:
        return _ok(self.root / who, self.work, *args)

    def cli(self, who: str, cwd: Path, *args: str) -> tuple[int, str]:
        done = _cli(self.root / who, cwd, *args)
        return done.returncode, done.stderr

    def api(self, who: str, method: str, path: str, body: Any = None) -> httpx.Response:
        """A request straight to the API with ``who``'s session, under its workspace."""
        session = json.loads((self.root / who / "session.json").read_text())
        url = f"{self.server.url}/v1/workspaces/{session['workspace_id']}/{path}"
        headers = {"Authorization": f"Bearer {session['token']}"}
        return httpx.request(method, url, json=body, headers=headers)


@pytest.fixture(scope="module")
def team(server: TeamServer, tmp_path_factory: pytest.TempPathFactory) -> Team:
    return Team(server, tmp_path_factory.mktemp("team"))


# Fixed, not random: it is in test ids, which every xdist worker must collect alike.
SECRET = "6f1c2a9e-0b7d-4c55-9a31-2d8e4f7b1c03"
# Requests that name a project (and an environment of it): {p} is the project's name.
BY_PROJECT: list[tuple[str, str, Any]] = [
    ("GET", "projects/{p}/environments/dev/snapshot", None),
    ("GET", "projects/{p}/environments/prod/snapshot", None),
    ("GET", "projects/{p}/environments/qa/snapshot", None),
    ("GET", f"projects/{{p}}/environments/dev/secrets/{SECRET}/versions", None),
    ("GET", "projects/{p}/environments/dev/versions?scope=shared&at=2100-01-01T00:00Z", None),
    ("POST", "projects/{p}/environments/dev/secrets", {"writes": []}),
    ("GET", "projects/{p}/environments/dev/readers", None),
    ("GET", "projects/{p}/environments", None),
    ("GET", "projects/{p}/services", None),
    ("POST", "projects/{p}/services", {"name": "api"}),
    ("PATCH", "projects/{p}/environments/dev", {"description": "x"}),
    ("GET", "scope-environments?project={p}&environment=dev", None),
]


def _problem(response: httpx.Response, name: str) -> tuple[int, dict[str, Any]]:
    """The status and problem body of an answer, with ``name`` written as NAME."""
    assert response.headers["content-type"] == "application/problem+json", response.text
    return response.status_code, json.loads(response.text.replace(name, "NAME"))


@pytest.mark.parametrize("who", ["bob", "carol"])
@pytest.mark.parametrize(("method", "path", "body"), BY_PROJECT)
def test_a_project_with_no_role_of_the_caller_is_answered_as_a_missing_one(
    team: Team, who: str, method: str, path: str, body: Any
) -> None:
    hidden = team.api(who, method, path.format(p="billing"), body)
    missing = team.api(who, method, path.format(p="nosuch"), body)

    assert hidden.status_code == 404, hidden.text
    assert _problem(hidden, "billing") == _problem(missing, "nosuch")
    assert hidden.json()["code"] == "project_not_found"


def test_the_cli_tells_a_hidden_project_from_a_missing_one_in_no_way(team: Team) -> None:
    """As the review probed it: a checkout naming a project and each environment."""
    workspace = json.loads((team.root / "carol" / "session.json").read_text())["workspace_id"]
    said = {}
    for project in ("billing", "nosuch"):
        for env in ("dev", "prod", "qa"):
            probe = team.root / f"probe-{project}-{env}"
            probe.mkdir()
            (probe / "envkeep.toml").write_text(
                f'project = "{project}"\ndefault_env = "dev"\nserver = "{team.server.url}"\n'
                f'workspace = "{workspace}"\nenvironments = ["dev"]\n'
            )
            code, err = team.cli("carol", probe, "list", "--env", env)
            said[project, env] = (code, err.replace(project, "NAME"))

    assert said["billing", "dev"][0] == 1, said
    assert "project 'NAME' not found (projects you can read: shop)" in said["billing", "dev"][1]
    for env in ("dev", "prod", "qa"):
        assert said["billing", env] == said["nosuch", env] == said["billing", "dev"], said


def test_a_sibling_environment_in_a_reached_project_is_still_refused_as_such(
    team: Team,
) -> None:
    refused = team.api("carol", "GET", "projects/shop/environments/prod/snapshot")
    missing = team.api("carol", "GET", "projects/shop/environments/qa/snapshot")

    assert refused.status_code == 403, refused.text
    assert refused.json()["title"] == (
        "you need the read role on environment shop/prod (you have: none there)"
    )
    assert refused.json()["needed"] == "read"
    assert missing.status_code == 404, missing.text
    assert missing.json()["code"] == "environment_not_found"
    code, err = team.cli("carol", team.work, "list", "--env", "nosuchenv")
    assert code == 1, err
    assert "(envs you can read: staging)" in err, err
    assert "prod" not in err


def _rotation() -> dict[str, Any]:
    """A well-formed `token rotate` body (the server opens none of it)."""
    return {
        "principal_id": str(uuid.uuid4()),
        "encryption_public": KEY,
        "signing_public": KEY,
        "wrapped_private_keys": KEY,
        "token_hash": credentials.token_hash("ek_sa_probe"),
        "shares": [],
    }


@pytest.mark.parametrize("action", ["revoke", "rotate"])
def test_a_token_the_caller_does_not_see_is_answered_as_a_missing_one(
    team: Team, action: str
) -> None:
    body = None if action == "revoke" else _rotation()
    assert "bobci" not in team.as_("carol", "token", "list")  # shop/dev: Carol reads staging

    hidden = team.api("carol", "POST", f"tokens/bobci/{action}", body)
    missing = team.api("carol", "POST", f"tokens/nosuch/{action}", body)
    said = [team.cli("carol", team.work, "token", action, n) for n in ("bobci", "nosuch")]

    assert hidden.status_code == 404, hidden.text
    assert _problem(hidden, "bobci") == _problem(missing, "nosuch")
    assert said[0] == (1, said[1][1].replace("nosuch", "bobci")), said
    assert "no token named 'bobci'" in said[0][1]


def test_a_tokens_maker_still_sees_it_once_revoked_and_is_told_so(team: Team) -> None:
    """Seeing a token is `token list`'s rule, which lets its maker see it with no role left
    (revoked): a second revoke says so rather than that no such token exists."""
    team.as_("bob", "token", "create", "mine", "--project", "shop", "--env", "prod")
    code, err = team.cli("bob", team.work, "token", "revoke", "mine", "--yes")
    assert code == 0, err

    listed = json.loads(team.as_("bob", "token", "list", "--json"))
    again = team.cli("bob", team.work, "token", "revoke", "mine", "--yes")

    # with the role it held when it ended (migration 0010)
    assert [
        (t["role"], t["environment"], t["revoked"]) for t in listed if t["label"] == "mine"
    ] == [("read", "prod", True)]
    assert again[0] == 1, again
    assert "token 'mine' is revoked already; nothing changed" in again[1], again


def test_an_ended_token_is_listed_to_whoever_saw_it_live_and_to_nobody_else(team: Team) -> None:
    """A token rotated out, or revoked and its name given again, stays in `token list` under
    the rule it was seen by when live (`may_see_token`, with the roles it held when it ended):
    Carol (shop/staging) sees the staging token's history and nothing of the prod one."""
    for name, env in (("nightly", "prod"), ("stager", "staging")):
        team.a("token", "create", name, "--project", "shop", "--env", env)
        team.a("token", "rotate", name)
    team.a("token", "revoke", "stager", "--yes")
    team.a("token", "create", "stager", "--project", "shop", "--env", "staging")

    def ended(who: str) -> dict[str, list[str | None]]:
        rows = json.loads(team.as_(who, "token", "list", "--json"))
        return {n: [t["ended"] for t in rows if t["label"] == n] for n in ("nightly", "stager")}

    assert ended("carol") == {"nightly": [], "stager": ["rotated out", "revoked", None]}
    assert ended("bob") == {
        "nightly": ["rotated out", None],
        "stager": ["rotated out", "revoked", None],
    }
    assert "nightly" not in team.as_("carol", "token", "list", "--all")


def test_a_refusal_names_no_environment_the_caller_may_not_list(team: Team) -> None:
    """A refused `token rotate` is about the token's roles, targets the server worked out: one
    on an environment the caller does not list is not named (a review found `on environment
    shop/prod` told Carol, a reader of shop/staging, a name her `env list` hides)."""
    team.a("token", "create", "launch", "--project", "shop", "--env", "prod", "--role", "read")
    team.a("member", "grant", "launch", "read", "--project", "shop", "--env", "staging")
    listed = team.as_("carol", "token", "list")
    assert "launch" in listed
    assert "prod" not in listed  # her list shows the token's role on staging only

    code, err = team.cli("carol", team.work, "token", "rotate", "launch")

    assert code == 4, err
    assert "you need the admin role on " in err, err
    assert "prod" not in err, err
