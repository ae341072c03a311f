"""`token list`, `session list` and `member sessions` fit 100 columns for a typical team, with
the real CLI against a real server: times read relative to now (``3h ago``, ``in 29d``, as
LAST USED already did) and a session's id by its first 8 characters, which `session revoke`
takes; --json keeps the exact times and the whole ids. `token list` was 113 columns wide
with three tokens, `session list` 150 with two sessions."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pytest

from tests.server import TeamServer, start_server
from tests.server import cli as _cli
from tests.server import quick_ok as _ok
from tests.test_token_lifecycle import Team

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

WIDTH = 100
EXACT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("lists-fit"))
    yield running
    running.stop()


def _widest(table: str) -> int:
    return max(len(line) for line in table.splitlines())


def test_the_token_and_session_lists_fit_100_columns_and_json_keeps_exact_times(
    server: TeamServer, tmp_path: Path
) -> None:
    team = Team(server, tmp_path, "acme", "read", "--project", "shop", "--env", "dev")
    team.a("set", "API_KEY=v1", "--env", "staging")
    scope = ("--project", "shop", "--env", "staging")
    used = team.a("token", "create", "ci-deploy", *scope).strip()
    team.a("token", "create", "ci-nightly", *scope, "--expires", "30d")
    team.a("token", "create", "ci-old", *scope)
    team.a("token", "revoke", "ci-old", "--yes")
    read = team.token(used, "get", "API_KEY", "--env", "staging")
    _ok(team.root / "desk", team.work, "login", server.url, "--email", team.bob_email,
        ENVKEEP_PASSPHRASE="bob passphrase")  # fmt: skip

    tokens = _cli(team.alice, team.work, "token", "list")
    sessions = _cli(team.bob, team.work, "session", "list")
    members = _cli(team.alice, team.work, "member", "sessions", team.bob_email)
    listed = json.loads(team.b("session", "list", "--json"))
    tokens_json = json.loads(team.a("token", "list", "--json"))

    assert read[:2] == (0, "v1\n"), read
    for shown in (tokens, sessions, members):
        assert shown.returncode == 0, shown.stderr
        assert _widest(shown.stdout) <= WIDTH, shown.stdout
    assert len(tokens.stdout.splitlines()) == 4, tokens.stdout  # the header and three tokens
    assert len(sessions.stdout.splitlines()) == 3, sessions.stdout
    for session in listed:  # the table shows each by its first 8 characters
        assert len(session["id"]) == 36
        assert EXACT.match(session["created_at"]), session
        assert any(
            line.startswith(session["id"][:8] + " ") for line in sessions.stdout.splitlines()
        )
    assert all(EXACT.match(t["created_at"]) for t in tokens_json), tokens_json
    assert "ago" in tokens.stdout
    assert "in 29d" in tokens.stdout  # ci-nightly, made to expire in 30 days
