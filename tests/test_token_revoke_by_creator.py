"""Cutting off access one handed out needs no more rights than handing it out, on a real team
server: a member with write who made a token revokes it (the token stops at once, and the key
rotation left is named, with its command, for an admin), a token revokes the tokens it made,
and nobody revokes a token they did not make without being an admin where it holds its role.
`token rotate`, which mints a new token, stays an admin's."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from envkeep import crypto
from envkeep.client.token_keys import parse_token, wrap_key
from envkeep.core.errors import IntegrityError
from envkeep.store.engine import open_engine
from envkeep.store.models import (
    DataKeyShare,
    Environment,
    Principal,
    Secret,
    SecretVersion,
)
from tests.server import TeamServer, join, start_server
from tests.server import cli as _cli
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("revoke-by-creator"))
    yield running
    running.stop()


STAGING = ("--project", "shop", "--env", "staging")
ROTATION = "envkeep env rotate-key staging --project shop"


class Team:
    """Alice, the workspace's admin, and project shop; Bob and Carol, each with write on
    shop/staging (keys sealed), and no more."""

    def __init__(self, server: TeamServer, root: Path, tag: str) -> None:
        self.server, self.root = server, root
        self.work, self.bare = root / "work", root / "bare"
        self.work.mkdir()
        self.bare.mkdir()  # where a token is used: no project file
        self.alice, self.bob, self.carol = root / "alice", root / "bob", root / "carol"
        self.bob_email, self.carol_email = f"bob@{tag}.io", f"carol@{tag}.io"
        join(server, self.alice, self.work, server.invite(f"alice@{tag}.io"), f"alice@{tag}.io")
        self.a("init", "shop")
        self.a("set", "API_KEY=before", "--env", "staging")
        for home, email in ((self.bob, self.bob_email), (self.carol, self.carol_email)):
            code = self.a("member", "invite", email, "--role", "write", *STAGING).strip()
            join(server, home, self.work, code, email)
            self.a("member", "grant", email, "write", *STAGING)

    def a(self, *args: str) -> str:
        """Alice runs a command that must succeed; its stdout."""
        return _ok(self.alice, self.work, *args)

    def token(self, token: str, *args: str) -> tuple[int, str, str]:
        """A command run with ENVKEEP_TOKEN only (a CI job): (exit code, stdout, stderr)."""
        done = _cli(
            self.root / "ci",
            self.bare,
            *args,
            ENVKEEP_TOKEN=token,
            ENVKEEP_SERVER=self.server.url,
            ENVKEEP_PROJECT="shop",
        )
        return done.returncode, done.stdout, done.stderr

    def state(self, name: str) -> list[bool]:
        """Whether each row of token ``name`` in Alice's `token list` is revoked."""
        rows = json.loads(self.a("token", "list", "--json"))
        return [bool(r["revoked"]) for r in rows if r["label"] == name]


def _snapshot_status(server: TeamServer, token: str) -> int:
    """The status of a read of shop/staging sent with ``token`` straight to the API."""
    principal_id = parse_token(token).principal_id
    engine = open_engine(server.database)
    with Session(engine) as session:
        account = session.get(Principal, principal_id)
        assert account is not None
        workspace_id = account.name.split(":")[1]
    engine.dispose()
    url = f"{server.url}/v1/workspaces/{workspace_id}/projects/shop/environments/staging/snapshot"
    return httpx.get(url, headers={"Authorization": f"Bearer {token}"}).status_code


def _opens_current_value(server: TeamServer, token: str) -> bool:
    """Whether the key the token was sealed (unwrapped as its holder would, from what the
    database keeps) opens the current value of API_KEY in shop/staging."""
    parsed = parse_token(token)
    principal_id, secret = parsed.principal_id, parsed.secret
    engine = open_engine(server.database)
    with Session(engine) as session:
        account = session.get(Principal, principal_id)
        assert account is not None
        keys = crypto.unwrap_private_keys(account.wrapped_private_keys or b"", wrap_key(secret))
        [share] = session.scalars(
            select(DataKeyShare).where(DataKeyShare.recipient_id == principal_id)
        )
        env = session.get(Environment, share.environment_id)
        assert env is not None
        current = session.execute(
            select(SecretVersion)
            .join(Secret, Secret.id == SecretVersion.secret_id)
            .where(Secret.environment_id == env.id, SecretVersion.version == Secret.current_version)
        ).scalar_one()
        sharer = session.get(Principal, share.sharer_id)
        assert sharer is not None
        sharer_keys = crypto.PublicKeys(sharer.encryption_public, sharer.signing_public)
    engine.dispose()
    dek = crypto.open_share(
        share.sealed,
        env_id=env.id,
        key_version=share.key_version,
        recipient_id=principal_id,
        recipient=keys,
        sharer=sharer_keys,
    )
    aad = crypto.field_aad(
        env_id=env.id,
        scope="shared",
        secret_id=current.secret_id,
        version=current.version,
        key_version=current.key_version,
        field="value",
    )
    try:
        crypto.open_envelope(dek, current.value_ct or b"", aad)
    except IntegrityError:
        return False
    return True


def test_a_writer_revokes_the_token_they_made_at_once_and_an_admin_finishes_the_rotation(
    server: TeamServer, tmp_path: Path
) -> None:
    team = Team(server, tmp_path, "own")
    ci = _ok(team.bob, team.work, "token", "create", "ci", "--role", "read", *STAGING).strip()
    assert team.token(ci, "get", "API_KEY", "--env", "staging")[1] == "before\n"

    revoked = _cli(team.bob, team.work, "token", "revoke", "ci", "--yes")

    assert revoked.returncode == 0, revoked.stderr
    assert "revoked 'ci'; it stopped working now" in revoked.stderr, revoked.stderr
    assert "you are not an admin of shop/staging" in revoked.stderr, revoked.stderr
    assert f"ask an admin to run: {ROTATION}" in revoked.stderr, revoked.stderr
    assert "--revoke-now" not in revoked.stderr
    assert _snapshot_status(server, ci) == 401
    code, out, err = team.token(ci, "get", "API_KEY", "--env", "staging")
    assert (code, out) == (4, ""), err
    assert team.state("ci") == [True]
    [event] = [e for e in json.loads(team.a("audit", "--json")) if e["action"] == "token.revoke"]
    assert json.loads(event["details"])["by"] == "creator", event
    assert _opens_current_value(server, ci)  # not rotated yet: that is the admin's to do
    again = _cli(team.bob, team.work, "token", "revoke", "ci", "--yes")
    by_colleague = _cli(team.carol, team.work, "token", "revoke", "ci", "--yes")
    assert again.returncode == 1, again.stderr
    assert "token 'ci' is revoked already; nothing changed" in again.stderr
    # revoked, it is still in Carol's `token list` with the role it held where she reads
    # (migration 0010), so she is told it is revoked, as its creator is
    assert by_colleague.returncode == 1, by_colleague.stderr
    assert "token 'ci' is revoked already; nothing changed" in by_colleague.stderr
    carols = {
        row["label"]: row
        for row in json.loads(_ok(team.carol, team.work, "token", "list", "--json"))
    }
    assert (carols["ci"]["role"], carols["ci"]["revoked"]) == ("read", True), carols

    rotated = _cli(team.alice, team.work, *ROTATION.split()[1:])
    team.a("set", "API_KEY=after", "--env", "staging")

    assert rotated.returncode == 0, rotated.stderr
    assert not _opens_current_value(server, ci)
    assert team.a("get", "API_KEY", "--env", "staging") == "after\n"
    assert _ok(team.bob, team.work, "get", "API_KEY", "--env", "staging") == "after\n"


def test_a_writer_can_neither_revoke_a_colleagues_token_nor_rotate_their_own(
    server: TeamServer, tmp_path: Path
) -> None:
    team = Team(server, tmp_path, "other")
    ci = _ok(team.bob, team.work, "token", "create", "ci", "--role", "read", *STAGING).strip()

    refused = _cli(team.carol, team.work, "token", "revoke", "ci", "--yes")
    urgent = _cli(team.carol, team.work, "token", "revoke", "ci", "--yes", "--revoke-now")
    rotated = _cli(team.bob, team.work, "token", "rotate", "ci")

    for attempt in (refused, urgent):
        assert attempt.returncode == 4, attempt.stderr
        assert "only its creator (" + team.bob_email + ")" in attempt.stderr, attempt.stderr
        assert "or an admin of shop/staging" in attempt.stderr, attempt.stderr
    assert rotated.returncode == 4, rotated.stderr
    assert "you need the admin role" in rotated.stderr, rotated.stderr
    assert "as its creator you may revoke it (envkeep token revoke ci)" in rotated.stderr
    assert not rotated.stdout.strip()  # no new token was shown
    assert team.state("ci") == [False]
    assert team.token(ci, "get", "API_KEY", "--env", "staging")[1] == "before\n"


def test_a_token_revokes_the_token_it_made_and_its_maker_revokes_it_with_what_it_made(
    server: TeamServer, tmp_path: Path
) -> None:
    team = Team(server, tmp_path, "chain")
    deploy = _ok(team.bob, team.work, "token", "create", "deploy", "--role", "write", *STAGING)
    made = ("token", "create", "sub", "--role", "read", *STAGING)
    code, sub, err = team.token(deploy.strip(), *made)
    assert code == 0, err
    code, subsub, err = team.token(sub.strip(), "token", "create", "subsub", *STAGING)
    assert code == 0, err

    by_colleague = _cli(team.carol, team.work, "token", "revoke", "subsub", "--yes")
    by_token = team.token(deploy.strip(), "token", "revoke", "subsub", "--yes")
    by_its_maker = team.token(sub.strip(), "token", "revoke", "subsub", "--yes")

    assert by_colleague.returncode == 4, by_colleague.stderr
    assert "only its creator (token sub)" in by_colleague.stderr, by_colleague.stderr
    assert by_token[0] == 4, by_token[2]  # its maker's maker: neither its creator nor an admin
    assert by_its_maker[0] == 0, by_its_maker[2]
    assert "revoked 'subsub'; it stopped working now" in by_its_maker[2], by_its_maker[2]
    assert ROTATION in by_its_maker[2], by_its_maker[2]
    assert _snapshot_status(server, subsub.strip()) == 401
    assert team.state("subsub") == [True]
    assert team.state("sub") == [False]
    assert team.token(sub.strip(), "get", "API_KEY", "--env", "staging")[1] == "before\n"

    by_bob = _cli(team.bob, team.work, "token", "revoke", "deploy", "--yes")

    assert by_bob.returncode == 0, by_bob.stderr
    ended = "revoked 'deploy' and 1 token that depended on its roles (sub)"
    assert ended in by_bob.stderr, by_bob.stderr
    assert f"ask an admin to run: {ROTATION}" in by_bob.stderr, by_bob.stderr
    assert team.state("deploy") == team.state("sub") == [True]
    for token in (deploy, sub):
        assert _snapshot_status(server, token.strip()) == 401
