"""A command run with ENVKEEP_TOKEN and no checkout takes its project from the token's roles
when they lie in one project (no ENVKEEP_PROJECT needed), and, without --env, the one
environment they open (a staging token reads staging, in a checkout too); a token over the
whole workspace or over several environments implies nothing. On a real server."""

from __future__ import annotations

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
    yield from server_per_database(request, tmp_path_factory, "token-scope")


class Shop:
    """alice's project shop with DB set in dev and staging, and tokens: one for staging
    alone, one for the whole project, one for the whole workspace."""

    def __init__(self, server: TeamServer, root: Path) -> None:
        self.server = server
        self.alice, self.work, self.empty = root / "alice", root / "work", root / "empty"
        self.work.mkdir()
        self.empty.mkdir()
        join(server, self.alice, self.work, server.invite("alice@scope.io"), "alice@scope.io")
        _ok(self.alice, self.work, "init", "shop")
        _ok(self.alice, self.work, "set", "DB=dev-db", "--env", "dev")
        _ok(self.alice, self.work, "set", "DB=staging-db", "--env", "staging")
        self.staging = self._token("ci-staging", "--project", "shop", "--env", "staging")
        self.project = self._token("ci-shop", "--project", "shop")
        self.workspace = self._token("ci-all")

    def _token(self, name: str, *scope: str) -> str:
        made = _cli(self.alice, self.work, "token", "create", name, *scope, "--role", "read")
        assert made.returncode == 0, made.stderr
        return made.stdout.strip()

    def get(self, token: str, where: Path, *args: str, **extra: str) -> tuple[int, str, str]:
        done = _cli(
            where.parent / f"ci-{where.name}",
            where,
            "get",
            "DB",
            *args,
            ENVKEEP_TOKEN=token,
            ENVKEEP_SERVER=self.server.url,
            **extra,
        )
        return done.returncode, done.stdout, done.stderr


@pytest.fixture(scope="module")
def shop(server: TeamServer, tmp_path_factory: pytest.TempPathFactory) -> Shop:
    return Shop(server, tmp_path_factory.mktemp("shop"))


def test_a_token_for_one_environment_needs_no_project_and_no_env(shop: Shop) -> None:
    code, out, err = shop.get(shop.staging, shop.empty)
    assert (code, out) == (0, "staging-db\n"), err


def test_a_token_for_one_environment_reads_it_in_a_checkout_whose_default_is_another(
    shop: Shop,
) -> None:
    code, out, err = shop.get(shop.staging, shop.work)
    assert (code, out) == (0, "staging-db\n"), err
    with_project = shop.get(shop.staging, shop.empty, ENVKEEP_PROJECT="shop")
    assert with_project[:2] == (0, "staging-db\n"), with_project[2]


def test_a_token_for_a_project_implies_it_and_the_default_environment(shop: Shop) -> None:
    code, out, err = shop.get(shop.project, shop.empty)
    named = shop.get(shop.project, shop.empty, "--env", "staging")

    assert (code, out) == (0, "dev-db\n"), err
    assert named[:2] == (0, "staging-db\n"), named[2]


def test_a_token_for_the_whole_workspace_implies_no_project(shop: Shop) -> None:
    code, _out, err = shop.get(shop.workspace, shop.empty)
    named = shop.get(shop.workspace, shop.empty, "--env", "staging", ENVKEEP_PROJECT="shop")

    assert code == 2, err
    assert f"no envkeep.toml found in {shop.empty}" in err
    assert named[:2] == (0, "staging-db\n"), named[2]


def test_a_token_for_two_environments_implies_none_of_them(shop: Shop) -> None:
    made = _cli(
        shop.alice, shop.work, "token", "create", "ci-two", "--project", "shop", "--env", "dev",
        "--role", "read",
    )  # fmt: skip
    token = made.stdout.strip()
    staging = ("--project", "shop", "--env", "staging")
    _ok(shop.alice, shop.work, "member", "grant", "ci-two", "read", *staging)

    code, out, err = shop.get(token, shop.empty)  # the project's default: dev
    assert (code, out) == (0, "dev-db\n"), err


def test_a_write_says_which_environment_the_token_chose(shop: Shop) -> None:
    writer = _cli(
        shop.alice, shop.work, "token", "create", "ci-writer", "--project", "shop", "--env",
        "staging", "--role", "write",
    )  # fmt: skip
    done = _cli(
        shop.empty.parent / "ci-writer",
        shop.empty,
        "set",
        "FLAG=on",
        ENVKEEP_TOKEN=writer.stdout.strip(),
        ENVKEEP_SERVER=shop.server.url,
    )

    assert done.returncode == 0, done.stderr
    assert "note: environment 'staging', the one ENVKEEP_TOKEN's roles open" in done.stderr
    assert _ok(shop.alice, shop.work, "get", "FLAG", "--env", "staging") == "on\n"


def test_a_read_of_history_takes_the_tokens_environment_without_a_note_about_writes(
    shop: Shop,
) -> None:
    """`history` reads the server only (no kept copy), as a write does; it is no write."""
    done = _cli(
        shop.empty.parent / "ci-history",
        shop.empty,
        "history",
        "DB",
        "--reveal",
        ENVKEEP_TOKEN=shop.staging,
        ENVKEEP_SERVER=shop.server.url,
    )

    assert done.returncode == 0, done.stderr
    assert "staging-db" in done.stdout
    assert "to write to another" not in done.stderr


def test_a_token_in_the_shell_is_ignored_by_a_checkout_on_the_embedded_store(
    shop: Shop, tmp_path: Path
) -> None:
    home, local = tmp_path / "home", tmp_path / "local"
    local.mkdir()
    _ok(home, local, "init", "solo", "--local")
    _ok(home, local, "set", "A=1")

    done = _cli(home, local, "get", "A", ENVKEEP_TOKEN=shop.staging)

    assert (done.returncode, done.stdout) == (0, "1\n"), done.stderr
