"""Offline reads against a real server that stops: commands reading one environment with
different scopes show the same, newest values kept (not each the copy of its own query), and
`history`, which no kept copy can answer, says it needs the server instead of warning about a
copy and then failing."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.server import TeamServer, join, start_server
from tests.server import cli as _cli
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from pathlib import Path

API = ("--env", "dev", "--service", "api")


class Offline:
    """A checkout whose copies were kept by a read of service api alone (`list`), one of every
    scope (`export`), a write, and one more read of every scope; then the server stopped."""

    def __init__(self, root: Path) -> None:
        self.home, self.work = root / "home", root / "work"
        (self.work / "services" / "api").mkdir(parents=True)
        server = start_server(root / "srv")
        self.url = server.url
        try:
            self._kept_copies(server)
        finally:
            server.stop()

    def _kept_copies(self, server: TeamServer) -> None:
        join(server, self.home, self.work, server.invite("ops@off.io"), "ops@off.io")
        self.ok("init", "shop")
        self.ok("service", "add", "api", "--path", "services/api")
        self.ok("set", "PORT=8080", "HOST=old", *API)
        self.ok("list", *API, "--reveal")  # the shared scope plus api's
        self.ok("export", *API)  # every scope (references may cross them)
        self.ok("set", "PORT=9090", "A=1", "B=2", "C=3", *API)
        self.ok("export", *API)

    def ok(self, *args: str) -> str:
        return _ok(self.home, self.work, *args)

    def folders(self) -> list[Path]:
        return [p for p in self.home.rglob("snapshots/*") if p.is_dir()]


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> Offline:
    return Offline(tmp_path_factory.mktemp("offline"))


def test_reads_of_one_environment_with_different_scopes_show_the_same_newest_values(
    offline: Offline,
) -> None:
    listed = _cli(offline.home, offline.work, "list", *API, "--reveal", "--json")
    exported = _cli(offline.home, offline.work, "export", *API, "--format", "json")
    got = _cli(offline.home, offline.work, "get", "PORT", *API)

    for done in (listed, exported, got):
        assert done.returncode == 0, done.stderr
        assert "warning: server unreachable; using the copy fetched" in done.stderr
    assert {v["name"]: v["value"] for v in json.loads(listed.stdout)} == {
        "PORT": "9090",
        "HOST": "old",
        "A": "1",
        "B": "2",
        "C": "3",
    }
    assert json.loads(exported.stdout) == {
        "PORT": "9090",
        "HOST": "old",
        "A": "1",
        "B": "2",
        "C": "3",
    }
    assert got.stdout == "9090\n"
    folders = offline.folders()  # one per environment read (`service add` reads them all)
    assert folders
    for folder in folders:  # in each, the newest copies superseded the older ones
        revisions = {
            json.loads(p.read_text())["snapshot"]["environment"]["revision"]
            for p in folder.glob("*.json")
        }
        assert len(revisions) == 1, folder


def test_history_while_the_server_is_down_says_it_needs_the_server(offline: Offline) -> None:
    done = _cli(offline.home, offline.work, "history", "PORT", *API)

    assert done.returncode == 5, done.stderr
    assert "using the copy" not in done.stderr  # no fallback it would not keep to
    [line, hint] = done.stderr.splitlines()
    assert line == (
        f"error: history needs the server: cannot reach {offline.url} (connection refused)"
    )
    assert "the copy kept for offline reads (get, list, run) holds current values only" in hint


@pytest.mark.parametrize(
    "command",
    [
        ("env", "rotate-key", "dev"),
        ("member", "seal", "bob@off.io"),
        ("member", "grant", "bob@off.io", "read", "--project", "shop", "--env", "dev"),
        ("member", "revoke", "bob@off.io", "--project", "shop", "--yes"),
        ("member", "remove", "bob@off.io", "--yes"),
        ("token", "create", "ci", "--project", "shop", "--env", "dev", "--role", "read"),
        ("token", "revoke", "ci", "--yes"),
        ("token", "rotate", "ci"),
    ],
    ids=lambda words: " ".join(words[:2]),
)
def test_an_admin_command_that_writes_reads_no_kept_copy(
    offline: Offline, command: tuple[str, ...]
) -> None:
    """It needs the server anyway, and a key sealed or rotated from a stale copy would be
    refused at best: no "using the copy" warning before its failure."""
    done = _cli(offline.home, offline.work, *command)

    assert done.returncode == 5, done.stderr
    assert "using the copy" not in done.stderr, done.stderr
    assert f"cannot reach {offline.url}" in done.stderr


def test_a_write_reads_again_the_copy_kept_of_what_it_wrote(tmp_path: Path) -> None:
    """The copy kept for reads offline follows the writer's own writes: a `set` after the last
    read (`export`, `run`: reads keep the copy) reads its environment again, so with the server
    down the writer gets the value they set, and a name they added; a name the copy lacks says
    that the copy may predate it; the fallback is said once a command."""
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    server = start_server(tmp_path / "srv")
    try:
        join(server, home, work, server.invite("dev@off.io"), "dev@off.io")
        _ok(home, work, "init", "shop")
        _ok(home, work, "set", "LOG_LEVEL=info", "--env", "dev")
        _ok(home, work, "export", "--env", "dev")  # a read of every scope keeps a copy of dev
        _ok(home, work, "set", "LOG_LEVEL=debug", "RACE=1", "--env", "dev")
        _ok(home, work, "set", "OTHER=x", "--env", "staging")  # no copy kept: none made
    finally:
        server.stop()

    level = _cli(home, work, "get", "LOG_LEVEL", "--env", "dev")
    race = _cli(home, work, "get", "RACE", "--env", "dev")
    missing = _cli(home, work, "get", "NOPE", "--env", "dev")
    staging = _cli(home, work, "get", "OTHER", "--env", "staging")

    assert (level.returncode, level.stdout) == (0, "debug\n"), level.stderr
    assert level.stderr.count("warning: server unreachable; using the copy fetched") == 1
    assert (race.returncode, race.stdout) == (0, "1\n"), race.stderr
    assert missing.returncode == 1, missing.stderr
    assert missing.stderr.splitlines()[-1].startswith(
        "hint: the server is out of reach, and the copy kept here may predate it; set it with:"
    ), missing.stderr
    assert staging.returncode == 5, staging.stderr  # a write keeps no copy of its own


def test_a_read_no_copy_holds_says_the_copy_kept_holds_one_service(tmp_path: Path) -> None:
    """Only `list --service api` read the environment: with the server down its copy answers
    `get`, `export` and `run` of api (a read of one service reads the scopes it sees), and a
    read of every scope or of another service says what the copy holds, not only "cannot
    reach", as if nothing was kept."""
    home, work = tmp_path / "home", tmp_path / "work"
    (work / "services" / "api").mkdir(parents=True)
    (work / "services" / "web").mkdir(parents=True)
    server = start_server(tmp_path / "srv")
    try:
        join(server, home, work, server.invite("dev@off.io"), "dev@off.io")
        _ok(home, work, "init", "shop")
        _ok(home, work, "service", "add", "api", "--path", "services/api")
        _ok(home, work, "service", "add", "web", "--path", "services/web")
        _ok(home, work, "set", "PORT=8080", *API)
        for folder in home.rglob("snapshots"):  # only `list`'s copy, whatever came before
            for kept in folder.rglob("*.json"):
                kept.unlink()
        _ok(home, work, "list", *API)
    finally:
        server.stop()

    served = [
        _cli(home, work, *command)
        for command in (("get", "PORT", *API), ("export", *API), ("run", *API, "--", "true"))
    ]
    refused = {
        "web's": _cli(home, work, "export", "--env", "dev", "--service", "web"),
        "every scope": _cli(home, work, "validate", "--env", "dev", "--all"),
    }

    for done in served:
        assert done.returncode == 0, done.stderr
        assert "warning: server unreachable; using the copy fetched" in done.stderr
    assert served[0].stdout == "8080\n"
    for needed, done in refused.items():
        assert done.returncode == 5, done.stderr
        [line, hint] = done.stderr.splitlines()
        assert line == (
            f"error: cannot reach {server.url} (connection refused); the copy kept here holds the"
            f" shared scope and api's only (read for those services), and this read needs"
            f" {needed}"
        )
        assert "validate --all and activate-all keep every scope" in hint
