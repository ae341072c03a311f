"""Errors told to a member or a token say what that caller can do, on a real team server:
`token create` without --project by a member of one project says a token without it covers
the whole workspace and names the --project that would do; an unknown environment or project
is pointed at among the names the caller reads (never another tenant's), and no caller who
cannot create one is told to; `session list` and `workspace list` with ENVKEEP_TOKEN alone say
a token has none."""

from __future__ import annotations

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
    running = start_server(tmp_path_factory.mktemp("fit-the-caller"))
    yield running
    running.stop()


class Team:
    """Alice, the workspace's admin, and project shop (dev, staging, prod); Bob with write on
    shop; Sam with read on shop/staging alone; a read token of shop/staging. Another tenant
    holds a project named shopping."""

    def __init__(self, server: TeamServer, root: Path) -> None:
        self.server, self.root = server, root
        self.work, self.bare = root / "work", root / "bare"
        (self.work / "api").mkdir(parents=True)
        self.bare.mkdir()
        join(server, root / "alice", self.work, server.invite("alice@fit.io"), "alice@fit.io")
        self.a("init", "shop", "--env", "dev", "--env", "staging", "--env", "prod")
        self.a("service", "add", "api", "--path", "api")
        self.a("set", "PORT=80", "--env", "staging", "--service", "api")
        for who, role, scope in (
            ("bob", "write", ("--project", "shop")),
            ("sam", "read", ("--project", "shop", "--env", "staging")),
        ):
            code = self.a("member", "invite", f"{who}@fit.io", "--role", role, *scope).strip()
            join(server, root / who, self.work, code, f"{who}@fit.io")
            self.a("member", "grant", f"{who}@fit.io", role, *scope)
        made = ("token", "create", "ci", "--project", "shop", "--env", "staging")
        self.ci = self.a(*made).strip()
        other = root / "other"
        other.mkdir()
        join(server, root / "eve", other, server.invite("eve@fit.io"), "eve@fit.io")
        _ok(root / "eve", other, "init", "shopping")

    def a(self, *args: str) -> str:
        return _ok(self.root / "alice", self.work, *args)

    def member(self, who: str, *args: str) -> tuple[int, str]:
        """A command a member runs in the checkout: (exit code, stderr)."""
        passphrase = f"{who} passphrase"
        done = _cli(self.root / who, self.work, *args, ENVKEEP_PASSPHRASE=passphrase)
        return done.returncode, done.stderr

    def token(self, *args: str, **extra: str) -> tuple[int, str]:
        """A command run with ENVKEEP_TOKEN alone, where there is no checkout."""
        done = _cli(
            self.root / "ci",
            self.bare,
            *args,
            ENVKEEP_TOKEN=self.ci,
            ENVKEEP_SERVER=self.server.url,
            **extra,
        )
        return done.returncode, done.stderr


@pytest.fixture(scope="module")
def team(server: TeamServer, tmp_path_factory: pytest.TempPathFactory) -> Team:
    return Team(server, tmp_path_factory.mktemp("team"))


def test_a_token_without_project_is_refused_naming_the_whole_workspace_and_the_project(
    team: Team,
) -> None:
    code, err = team.member("bob", "token", "create", "bobw", "--role", "write")

    assert code == 4, err
    assert "without --project a token holds its role on the whole workspace" in err, err
    hint = "hint: limit it to where you hold write: envkeep token create bobw --role write"
    assert hint in err, err
    assert err.rstrip().endswith("--project shop"), err
    code, err = team.member(
        "bob", "token", "create", "bobw", "--role", "write", "--project", "shop"
    )
    assert code == 0, err


def test_a_token_without_project_is_offered_the_one_scope_where_its_maker_holds_the_role(
    team: Team,
) -> None:
    """Sam reads shop/staging alone: the hint gives that scope, which works, not the project
    (which a walkthrough found refused in turn)."""
    code, err = team.member("sam", "token", "create", "samr", "--role", "read")

    assert code == 4, err
    offered = "envkeep token create samr --role read --project shop --env staging"
    assert err.rstrip().endswith(offered), err
    code, err = team.member("sam", *offered.split()[1:])
    assert code == 0, err


def test_a_mistyped_environment_is_pointed_at_among_those_the_caller_reads(team: Team) -> None:
    said = [
        team.member("sam", "export", "--env", "stagign", "--service", "api"),
        team.token("export", "--env", "stagign", "--service", "api", ENVKEEP_PROJECT="shop"),
    ]

    for code, err in said:
        assert code == 1, err
        assert "environment 'stagign' not found in project 'shop'" in err, err
        assert "(envs you can read: staging)" in err, err
        assert "hint: did you mean 'staging'?" in err, err
        assert "prod" not in err  # not an environment they read
        assert "env create" not in err


def test_a_new_environment_is_left_to_an_admin_for_a_caller_who_cannot_create_it(
    team: Team,
) -> None:
    code, err = team.member("sam", "export", "--env", "qa", "--service", "api")

    assert code == 1, err
    assert "hint: if it is new, an admin of project 'shop' can create it" in err, err
    assert "create it with" not in err


def test_a_caller_who_sees_every_environment_but_is_no_admin_is_not_told_to_create_one(
    team: Team,
) -> None:
    """Bob writes to all of shop, so the names are listed to him, but only an admin of the
    project creates an environment."""
    code, err = team.member("bob", "export", "--env", "qa", "--service", "api")

    assert code == 1, err
    assert "environment 'qa' not found in project 'shop' (envs: dev, prod, staging)" in err, err
    assert "hint: if it is new, an admin of project 'shop' can create it" in err, err
    assert "create it with" not in err


def test_a_mistyped_project_is_pointed_at_among_the_callers_and_never_another_tenants(
    team: Team,
) -> None:
    code, err = team.token("export", "--env", "staging", ENVKEEP_PROJECT="shopp")
    assert code == 1, err
    assert "project 'shopp' not found (projects you can read: shop)" in err, err
    assert "hint: did you mean 'shop'?" in err, err
    assert "init" not in err

    code, err = team.token("export", "--env", "staging", ENVKEEP_PROJECT="shoppings")
    assert code == 1, err
    # another tenant's project, however close, is neither listed nor suggested
    assert "(projects you can read: shop)" in err, err
    assert "'shopping'" not in err
    assert "an admin of the workspace can create it (envkeep init shoppings)" in err, err


@pytest.mark.parametrize("listed", ["session", "workspace"])
def test_session_and_workspace_list_with_a_token_alone_say_a_token_has_none(
    team: Team, listed: str
) -> None:
    code, err = team.token(listed, "list")

    assert code == 4, err
    assert f"error: {listed}s belong to a user logged in here" in err, err
    assert "service token" in err
    assert "you are not logged in to a server" not in err


@pytest.mark.parametrize("command", [("list",), ("run", "--", "true"), ("get", "PORT")])
def test_a_refused_default_environment_says_it_was_the_default_and_which_one_to_pass(
    team: Team, command: tuple[str, ...]
) -> None:
    """Sam reads shop/staging alone; with no --env every command read dev, the project's
    default, and was refused with no word of that or of staging (a walkthrough)."""
    code, err = team.member("sam", *command)

    assert code == 4, err
    assert "'dev' is the project's default environment, taken as no --env was given" in err
    assert "hint: pass one you can read: --env staging" in err, err
    assert "prod" not in err, err  # her list of environments holds staging alone
    explicit = team.member("sam", *command[:1], "--env", "dev", *command[1:])
    assert explicit[0] == 4, explicit
    assert "default environment" not in explicit[1], explicit  # she named it herself


def test_init_of_a_teammates_project_outside_its_checkout_sets_it_up_there(
    team: Team,
) -> None:
    """Bob writes to shop; `init shop` in an empty directory writes shop's envkeep.toml there
    (it was refused for want of the workspace's admin role: a walkthrough), creating nothing."""
    here = team.root / "bob-init"
    here.mkdir()
    done = _cli(team.root / "bob", here, "init", "shop", "--yes")

    assert done.returncode == 0, done.stderr
    assert "project 'shop' exists on" in done.stderr, done.stderr
    assert "nothing was created" in done.stderr
    assert (here / "envkeep.toml").exists()
    stranger = _cli(team.root / "bob", team.bare, "init", "elsewhere", "--yes")
    assert stranger.returncode == 4, stranger.stderr
    assert "exists" not in stranger.stderr, stranger.stderr  # as before for another name
