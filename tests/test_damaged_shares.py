"""A share of a data key that does not open, on a real team server: one of an older key version
(damaged or altered in the server's database) no longer stops every read of the environment —
`get`, `run`, a rotation and a grant go on, with a warning — while what needs that key
(`history`, `rollback`, `decrypt` of a file encrypted under it) fails saying which share and
why; one of the current key still fails every read."""

from __future__ import annotations

import json
import sys
import uuid
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from envkeep.store.engine import open_engine
from envkeep.store.models import DataKeyShare, Environment
from tests.server import TeamServer, server_per_database
from tests.server import cli as _cli
from tests.server import join as _join
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

UNOPENED_V1 = "versions of environment shop/dev written under key v1 cannot be read: your share"
WARNED_V1 = "warning: your share of key v1 of environment shop/dev does not open (signature does"


# SQLite only: what a reader does with a share that does not open is the client's work; the
# server stores and serves shares the same way on both databases (test_rotation_keys).
@pytest.fixture(scope="module", params=["sqlite"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TeamServer]:
    yield from server_per_database(request, tmp_path_factory, "damaged-shares")


class Team:
    """Alice (admin) sets API_KEY to one, encrypts a file to dev's key, rotates dev's key
    (v2) and sets API_KEY to two: version 1 is under key v1, version 2 under key v2."""

    def __init__(self, server: TeamServer, root: Path, domain: str) -> None:
        self.server, self.root, self.domain = server, root, domain
        self.alice, self.work = root / "alice", root / "work"
        self.work.mkdir()
        email = f"alice@{domain}"
        _join(server, self.alice, self.work, server.invite(email), email)
        self.a("init", "shop")
        self.a("set", "API_KEY=one", "--env", "dev")
        (self.work / "old.env").write_text("OLD=1\n")
        self.a("encrypt", "old.env", "--env", "dev")
        self.a("env", "rotate-key", "dev")
        self.a("set", "API_KEY=two", "--env", "dev")
        self.principal_id = json.loads(self.a("identity", "show", "--json"))["principal_id"]

    def a(self, *args: str) -> str:
        return _ok(self.alice, self.work, *args)

    def damage_share(self, key_version: int) -> None:
        """Flip the last byte of Alice's share of dev's key ``key_version`` in the server's
        database (the sharer's signature no longer verifies)."""
        engine = open_engine(self.server.database)
        with Session(engine) as session, session.begin():
            share = session.scalars(
                select(DataKeyShare)
                .join(Environment, Environment.id == DataKeyShare.environment_id)
                .where(
                    Environment.name == "dev",
                    DataKeyShare.recipient_id == self.principal_id,
                    DataKeyShare.key_version == key_version,
                )
            ).one()
            share.sealed = share.sealed[:-1] + bytes([share.sealed[-1] ^ 1])
        engine.dispose()


@pytest.fixture
def team(server: TeamServer, tmp_path: Path) -> Team:
    return Team(server, tmp_path, f"{uuid.uuid4().hex[:12]}.io")  # emails are server-wide


def test_a_damaged_share_of_an_older_key_does_not_stop_reading_current_values(
    team: Team,
) -> None:
    team.damage_share(1)

    got = _cli(team.alice, team.work, "get", "API_KEY", "--env", "dev")
    assert (got.returncode, got.stdout) == (0, "two\n"), got.stderr
    assert [line for line in got.stderr.splitlines() if WARNED_V1 in line] == [
        WARNED_V1 + " not verify: the data was changed or signed by someone else); current"
        " values were read, versions written under key v1 cannot be until the server's"
        " operator restores that share from a backup"
    ]
    show = "import os, sys; sys.stdout.write(os.environ['API_KEY'])"
    ran = _cli(team.alice, team.work, "run", "--env", "dev", "--", sys.executable, "-c", show)
    assert (ran.returncode, ran.stdout) == (0, "two"), ran.stderr
    assert WARNED_V1 in ran.stderr
    # A command that reads the environment twice says it once.
    promoted = _cli(team.alice, team.work, "promote", "--from", "dev", "--to", "prod", "--yes")
    assert promoted.returncode == 0, promoted.stderr
    assert promoted.stderr.count(WARNED_V1) == 1
    assert team.a("get", "API_KEY", "--env", "prod") == "two\n"


def test_what_needs_the_older_key_says_its_share_does_not_open_and_what_to_do(
    team: Team,
) -> None:
    team.damage_share(1)

    history = _cli(team.alice, team.work, "history", "API_KEY", "--env", "dev")
    assert history.returncode == 1, history.stderr
    assert f"error: {UNOPENED_V1} of that key does not open (signature does not verify" in (
        history.stderr
    )
    assert "ask the server's operator to restore it from a backup" in history.stderr
    assert "an admin who holds key v1 can read those versions" in history.stderr

    rollback = _cli(team.alice, team.work, "rollback", "API_KEY", "--to", "1", "--env", "dev")
    assert rollback.returncode == 1
    assert UNOPENED_V1 in rollback.stderr
    assert team.a("get", "API_KEY", "--env", "dev") == "two\n"  # nothing written

    decrypted = _cli(team.alice, team.work, "decrypt", "old.env.enc", "-o", "-")
    assert decrypted.returncode == 1
    assert UNOPENED_V1 in decrypted.stderr


def test_a_rotation_and_a_grant_go_on_past_a_damaged_share_of_an_older_key(
    team: Team,
) -> None:
    team.damage_share(1)

    rotated = _cli(team.alice, team.work, "env", "rotate-key", "dev")
    assert rotated.returncode == 0, rotated.stderr
    assert WARNED_V1 in rotated.stderr
    bob, email = team.root / "bob", f"bob@{team.domain}"
    code = team.a("member", "invite", email, "--role", "read", "--project", "shop").strip()
    _join(team.server, bob, team.work, code, email)
    granted = _cli(team.alice, team.work, "member", "grant", email, "read", "--project", "shop")
    assert granted.returncode == 0, granted.stderr
    assert _ok(bob, team.work, "get", "API_KEY", "--env", "dev") == "two\n"


def test_a_damaged_share_of_the_current_key_still_fails_every_read(team: Team) -> None:
    team.damage_share(2)

    got = _cli(team.alice, team.work, "get", "API_KEY", "--env", "dev")
    assert got.returncode == 1
    assert got.stdout == ""
    assert "error: signature does not verify: the data was changed or signed by someone else" in (
        got.stderr
    )
    assert "key v1" not in got.stderr
