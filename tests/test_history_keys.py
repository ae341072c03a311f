"""`history` across key rotations, on a real team server (SQLite and PostgreSQL): a rotation's
re-encryption of a value is shown as such, not as a change by the admin who revoked someone;
a member granted after a rotation sees the versions under keys it was never given as sealed,
and the rest of the history, instead of an error; rolling back to a sealed one says why not."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import pytest

from tests.server import TeamServer, join, server_per_database
from tests.server import cli as _cli
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


# SQLite only: telling versions apart is the client's work; how the server keeps versions and
# shares is tested on both databases elsewhere (test_rotation_keys, the authorisation matrix).
@pytest.fixture(scope="module", params=["sqlite"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TeamServer]:
    yield from server_per_database(request, tmp_path_factory, "history")


class Team:
    """Alice (admin) sets API_KEY twice; Bob, a reader, is revoked (the key rotates); Alice
    changes it once more; Carol is granted write afterwards (a reader's rollback is refused
    for its role before any version is looked at: `client/write_role.py`)."""

    def __init__(self, server: TeamServer, root: Path) -> None:
        self.server, self.root, self.work = server, root, root / "work"
        self.work.mkdir()
        join(server, root / "alice", self.work, server.invite("alice@hist.io"), "alice@hist.io")
        self.a("init", "shop")
        self.a("set", "API_KEY=one", "--env", "dev")
        self.a("set", "API_KEY=two", "--env", "dev")
        _next_second()  # v2's time is before the rotation's (rollback --to-time v2's time)
        self._member("bob", "read")
        self.a("member", "revoke", "--yes", "bob@hist.io", "--project", "shop")  # rotates dev's key
        self.a("set", "API_KEY=three", "--env", "dev")
        self._member("carol", "write")

    def _member(self, who: str, role: str) -> None:
        email = f"{who}@hist.io"
        code = self.a("member", "invite", email, "--role", role, "--project", "shop").strip()
        join(self.server, self.root / who, self.work, code, email)
        self.a("member", "grant", email, role, "--project", "shop")

    def a(self, *args: str) -> str:
        return _ok(self.root / "alice", self.work, *args)

    def history(self, who: str) -> list[dict[str, Any]]:
        shown = _ok(self.root / who, self.work, "history", "API_KEY", "--env", "dev", "--json")
        return list(json.loads(shown))


def _next_second() -> None:
    """Wait for the clock's next second: versions are timed to the second."""
    start = int(time.time())
    while int(time.time()) == start:
        time.sleep(0.02)


@pytest.fixture(scope="module")
def team(server: TeamServer, tmp_path_factory: pytest.TempPathFactory) -> Team:
    return Team(server, tmp_path_factory.mktemp("team"))


def _rows(entries: list[dict[str, Any]]) -> list[tuple[int, int, str]]:
    return [(e["version"], e["key_version"], e["state"]) for e in entries]


def test_a_rotation_shows_as_a_re_encryption_not_a_change(team: Team) -> None:
    assert _rows(team.history("alice")) == [
        (1, 1, "set"),
        (2, 1, "set"),
        (3, 2, "rekeyed"),
        (4, 2, "set"),
    ]
    table = _ok(team.root / "alice", team.work, "history", "API_KEY", "--env", "dev")
    assert "re-encrypted under key v2 (key rotation)" in table
    changed = _ok(
        team.root / "alice", team.work, "history", "API_KEY", "--env", "dev", "--changes", "--json"
    )
    # Only what people wrote, each under the number rollback --to takes.
    assert _rows(json.loads(changed)) == [(1, 1, "set"), (2, 1, "set"), (4, 2, "set")]


def test_a_member_granted_later_sees_what_it_holds_keys_for_and_the_rest_as_sealed(
    team: Team,
) -> None:
    carol = team.history("carol")
    assert _rows(carol) == [(1, 1, "sealed"), (2, 1, "sealed"), (3, 2, "set"), (4, 2, "set")]
    revealed = _ok(
        team.root / "carol", team.work, "history", "API_KEY", "--env", "dev", "--json", "--reveal"
    )
    values = [e.get("value") for e in json.loads(revealed)]
    assert values == [None, None, "two", "three"]
    # v3 follows a version carol cannot open: she cannot tell a rotation's copy from a
    # change, and is not told it was either.
    assert [e["after_sealed"] for e in carol] == [None, None, 2, None]
    table = _ok(team.root / "carol", team.work, "history", "API_KEY", "--env", "dev")
    assert "under key v2: a key rotation's copy of v2 or a change (v2 is sealed to you)" in table


def test_rolling_back_to_a_sealed_version_says_why_and_writes_nothing(team: Team) -> None:
    refused = _cli(
        team.root / "carol", team.work, "rollback", "API_KEY", "--to", "1", "--env", "dev"
    )
    assert refused.returncode == 4
    assert "version 1 of 'API_KEY' is sealed under key v1" in refused.stderr
    assert len(team.history("alice")) == 4


def test_rolling_back_a_scope_to_a_time_whose_version_is_sealed_names_it_and_writes_nothing(
    team: Team,
) -> None:
    then = team.history("alice")[1]["created_at"]  # v2, under the key carol was never given

    refused = _cli(
        team.root / "carol", team.work, "rollback", "--env", "dev", "--to-time", then, "--yes"
    )

    assert refused.returncode == 4, refused.stderr
    assert refused.stderr.splitlines()[0] == (
        f"error: the value at {then} of API_KEY is sealed under a key not shared with you"
    )
    assert len(team.history("alice")) == 4
