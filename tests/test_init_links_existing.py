"""`envkeep init NAME` in a new directory, where the team server has project NAME and the
caller a role on it, writes an envkeep.toml for it (what `project list` then `init` promises a
new teammate), with the environments and services the server shows the caller, and creates
nothing; the admin who could create projects gets the same rather than "already exists"."""

from __future__ import annotations

import tomllib
from typing import TYPE_CHECKING

from tests.server import cli as _cli
from tests.server import join, start_server
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from pathlib import Path


def test_init_of_a_teams_project_writes_its_envkeep_toml(tmp_path: Path) -> None:
    server = start_server(tmp_path / "server")
    try:
        alice, bob, carol = tmp_path / "alice", tmp_path / "bob", tmp_path / "carol"
        repo = tmp_path / "repo"
        (repo / "services" / "api").mkdir(parents=True)
        join(server, alice, repo, server.invite("alice@link.io"), "alice@link.io")
        _ok(alice, repo, "init", "shop")
        _ok(alice, repo, "service", "add", "api", "--path", "services/api")
        _ok(alice, repo, "set", "A=dev-a", "--env", "dev")
        _ok(alice, repo, "set", "A=prod-a", "--env", "prod")
        for email, home, scope in (
            ("bob@link.io", bob, ("--project", "shop")),
            ("carol@link.io", carol, ("--project", "shop", "--env", "prod")),
        ):
            code = _ok(alice, repo, "member", "invite", email, "--role", "read", *scope)
            join(server, home, tmp_path, code.strip(), email)
            _ok(alice, repo, "member", "grant", email, "read", *scope)

        for who, home in (("bob", bob), ("carol", carol), ("alice", alice)):
            here = tmp_path / f"{who}-dir"
            here.mkdir()
            done = _cli(home, here, "init", "shop")
            assert done.returncode == 0, done.stderr
            assert "nothing was created" in done.stderr
            declared = tomllib.loads((here / "envkeep.toml").read_text())
            assert declared["project"] == "shop"
            assert declared["server"] == server.url
            assert declared["services"]["api"]["path"] == "services/api"
            if who == "carol":  # a role on prod alone shows prod alone
                assert declared["environments"] == ["prod"]
                assert declared["default_env"] == "prod"
                assert _ok(home, here, "get", "A") == "prod-a\n"
            else:
                assert declared["environments"] == ["dev", "staging", "prod"]
                assert declared["default_env"] == "dev"
                assert _ok(home, here, "get", "A") == "dev-a\n"
        listed = _ok(alice, repo, "project", "list")
        assert listed.count("shop") == 1  # nothing was created
    finally:
        server.stop()


def test_env_create_names_its_project_outside_a_checkout(tmp_path: Path) -> None:
    server = start_server(tmp_path / "server")
    try:
        alice, repo, bare = tmp_path / "alice", tmp_path / "repo", tmp_path / "bare"
        repo.mkdir()
        bare.mkdir()
        join(server, alice, repo, server.invite("alice@envs.io"), "alice@envs.io")
        _ok(alice, repo, "init", "shop")
        before = (repo / "envkeep.toml").read_text()
        missing = _cli(alice, bare, "member", "invite", "b@envs.io", "-p", "shop", "--env", "qa")
        hinted = "envkeep env create qa --project shop"
        assert hinted in missing.stderr, missing.stderr

        made = _cli(alice, bare, *hinted.split()[1:])

        assert made.returncode == 0, made.stderr
        assert "created environment 'qa' in project 'shop'" in made.stderr
        invited = _cli(alice, bare, "member", "invite", "b@envs.io", "-p", "shop", "--env", "qa")
        assert invited.returncode == 0, invited.stderr
        assert (repo / "envkeep.toml").read_text() == before  # another checkout's file
        assert not (bare / "envkeep.toml").exists()
    finally:
        server.stop()
