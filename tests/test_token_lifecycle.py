"""A token never outlives the rights it was made with, on a real team server (SQLite and
PostgreSQL): removing a member revokes the tokens they created (and the tokens those created),
revoking a token revokes the tokens it created, taking or lowering a member's role revokes
their tokens it no longer covers; none of them gets a share of the rotated keys, and a value
written afterwards opens for none of them. `token list` says who created each token and shows
no scope for one with no role; a refused ENVKEEP_TOKEN is named as such."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from envkeep.api.app import create_app
from envkeep.app import credentials
from envkeep.cli import output
from envkeep.client.token_keys import parse_token
from envkeep.store.engine import open_engine
from envkeep.store.models import AuditEvent, DataKeyShare, Environment, Principal, SessionToken
from tests.authz_support import KEY, founding_invite, joining
from tests.server import ENVKEEP, TeamServer, join, server_per_database
from tests.server import cli as _cli
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from sqlalchemy import Engine


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TeamServer]:
    yield from server_per_database(request, tmp_path_factory, "lifecycle")


class Team:
    """A workspace on ``server``: Alice its admin, project shop (dev, staging, prod), and Bob,
    a member with ``bob_role`` on ``bob_scope``."""

    def __init__(
        self, server: TeamServer, root: Path, tag: str, bob_role: str, *bob_scope: str
    ) -> None:
        self.server, self.root = server, root
        self.alice, self.bob = root / "alice", root / "bob"
        self.work, self.bare = root / "work", root / "bare"
        self.work.mkdir()
        self.bare.mkdir()  # where a token is used: no project file
        self.alice_email, self.bob_email = f"alice@{tag}.io", f"bob@{tag}.io"
        self._join(self.alice, server.invite(self.alice_email), self.alice_email)
        self.a("init", "shop")
        invite = ("member", "invite", self.bob_email, "--role", bob_role, *bob_scope)
        self._join(self.bob, self.a(*invite).strip(), self.bob_email)
        self.a("member", "grant", self.bob_email, bob_role, *bob_scope)

    def _join(self, home: Path, code: str, email: str) -> None:
        join(self.server, home, self.work, code, email)

    def a(self, *args: str) -> str:
        """Alice runs a command that must succeed (in this process: setting up, or reading
        back; what a test is about runs as a process, ``_cli``); its stdout."""
        return _ok(self.alice, self.work, *args)

    def b(self, *args: str) -> str:
        return _ok(self.bob, self.work, *args)

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

    def listed(self) -> dict[str, list[dict[str, object]]]:
        """Alice's `token list --json`, rows by token name."""
        rows: dict[str, list[dict[str, object]]] = {}
        for row in json.loads(self.a("token", "list", "--json")):
            rows.setdefault(str(row["label"]), []).append(row)
        return rows

    def expire(self, token: str) -> None:
        """Put the token's expiry a minute in the past, in the server's database."""
        principal_id = parse_token(token).principal_id
        engine = open_engine(self.server.database)
        with Session(engine) as session, session.begin():
            session.execute(
                update(SessionToken)
                .where(SessionToken.principal_id == principal_id)
                .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
            )
        engine.dispose()

    def ended_long_ago(self, token: str) -> None:
        """Put the end of a revoked token 31 days in the past, in the server's database."""
        principal_id = parse_token(token).principal_id
        then = datetime.now(UTC) - timedelta(days=31)
        engine = open_engine(self.server.database)
        with Session(engine) as session, session.begin():
            session.execute(
                update(Principal).where(Principal.id == principal_id).values(disabled_at=then)
            )
            session.execute(
                update(SessionToken)
                .where(SessionToken.principal_id == principal_id)
                .values(revoked_at=then)
            )
        engine.dispose()

    def shares_of(self, token: str, env: str) -> set[int]:
        """The key versions of ``env`` whose share the token's account holds, and the current
        one's number last."""
        principal_id = parse_token(token).principal_id
        engine = open_engine(self.server.database)
        with Session(engine) as session:
            account = session.get(Principal, principal_id)
            assert account is not None
            envs = session.scalars(select(Environment).where(Environment.name == env)).all()
            ids = {e.id for e in envs}
            versions = session.scalars(
                select(DataKeyShare.key_version).where(
                    DataKeyShare.recipient_id == principal_id,
                    DataKeyShare.environment_id.in_(ids),
                )
            ).all()
        engine.dispose()
        return set(versions)


def _current_key(team: Team, env: str, token: str) -> int:
    """The current key version of ``env`` in the workspace ``token`` belongs to."""
    principal_id = parse_token(token).principal_id
    engine = open_engine(team.server.database)
    with Session(engine) as session:
        account = session.get(Principal, principal_id)
        assert account is not None
        workspace_id = account.name.split(":")[1]
        from envkeep.store.models import Project

        found = session.execute(
            select(Environment.key_version)
            .join(Project, Project.id == Environment.project_id)
            .where(Project.workspace_id == workspace_id, Environment.name == env)
        ).scalar_one()
    engine.dispose()
    return int(found)


@pytest.mark.parametrize("bob_role", ["write", "read"])
def test_removing_a_member_revokes_their_tokens_which_read_nothing_written_after(
    server: TeamServer, tmp_path: Path, bob_role: str
) -> None:
    team = Team(server, tmp_path, f"rm-{bob_role}", bob_role, "--project", "shop", "--env", "dev")
    team.a("set", "DB_PASSWORD=before-removal", "--env", "dev")
    made = ("token", "create", "bobtok", "--role", "read", "--project", "shop", "--env", "dev")
    bobtok = team.b(*made).strip()
    assert team.token(bobtok, "get", "DB_PASSWORD", "--env", "dev")[1] == "before-removal\n"

    removed = _cli(team.alice, team.work, "member", "remove", team.bob_email, "--yes")
    team.a("set", "DB_PASSWORD=after-removal-secret", "--env", "dev")
    code, out, err = team.token(bobtok, "get", "DB_PASSWORD", "--env", "dev")

    assert removed.returncode == 0, removed.stderr
    assert (code, out) == (4, ""), err
    assert "after-removal-secret" not in out + err
    assert "revoked 1 token that depended on their roles (bobtok)" in removed.stderr, removed.stderr
    assert "new keys for: shop/dev" in removed.stderr, removed.stderr
    # The rotation sealed the new key to nobody who left: not to Bob's token either.
    assert team.shares_of(bobtok, "dev") == {1}
    assert _current_key(team, "dev", bobtok) == 2
    [row] = team.listed()["bobtok"]
    assert row["revoked"] is True
    events = json.loads(team.a("audit", "--action", "member.remove", "--json"))
    assert len(events) == 1
    assert "bobtok" in json.dumps(events[0]), events[0]


def test_an_expired_token_is_sealed_no_new_key(server: TeamServer, tmp_path: Path) -> None:
    """A token past its expiry never works again (rotation makes a new account), so a rotation
    and a new environment seal it nothing: with its secret and a copy of the database, nothing
    written after it expired opens. A live token beside it still gets the new key."""
    team = Team(server, tmp_path, "expired", "read", "--project", "shop", "--env", "dev")
    gone = team.a("token", "create", "gone", "--project", "shop", "--role", "read").strip()
    kept = team.a("token", "create", "kept", "--project", "shop", "--role", "read").strip()
    team.expire(gone)

    rotated = _cli(team.alice, team.work, "env", "rotate-key", "dev")
    created = _cli(team.alice, team.work, "env", "create", "qa")

    assert rotated.returncode == 0, rotated.stderr
    assert created.returncode == 0, created.stderr
    assert team.shares_of(gone, "dev") == {1}  # not the new key 2
    assert team.shares_of(kept, "dev") == {1, 2}
    assert team.shares_of(gone, "qa") == set()
    assert team.shares_of(kept, "qa") == {1}
    # member list says so (it said "active"), owes it no key, and a grant to it is refused
    listed = {
        m["principal"]["name"].rsplit(":", 1)[-1]: m
        for m in json.loads(team.a("member", "list", "--json"))
        if m["kind"] == "member"
    }
    assert (listed["gone"]["state"], listed["gone"]["keys_missing"]) == ("expired", 0)
    assert listed["kept"]["state"] == "active"
    granted = _cli(team.alice, team.work, "member", "grant", "gone", "read", "--project", "shop")
    assert granted.returncode == 2, granted.stderr
    assert "token 'gone' has expired: it cannot be given a role or keys" in granted.stderr
    assert "envkeep token rotate gone" in granted.stderr


def test_a_revoked_or_expired_token_still_tried_is_in_the_audit_a_made_up_one_is_not(
    server: TeamServer, tmp_path: Path
) -> None:
    """A leaked CI token replayed after its revocation (or its expiry) is refused as any bad
    token is, and its attempt is an event under its own account, as a member's refusal is."""
    team = Team(server, tmp_path, "replay", "read", "--project", "shop", "--env", "dev")
    team.a("set", "K=v", "--env", "dev")
    revoked = team.a("token", "create", "leaked", "--project", "shop", "--role", "read").strip()
    expired = team.a("token", "create", "old", "--project", "shop", "--role", "read").strip()
    team.a("token", "revoke", "leaked", "--yes")
    team.expire(expired)
    made_up = revoked[:-8] + ("A" * 8 if not revoked.endswith("A" * 8) else "B" * 8)

    tried = [team.token(t, "get", "K", "--env", "dev") for t in (revoked, expired, made_up)]

    assert [code for code, _, _ in tried] == [4, 4, 4], tried
    assert len({err for _, _, err in tried}) == 1  # the same words for all three
    denied = json.loads(team.a("audit", "--action", "request.denied", "--json"))
    by_account = {e["principal_id"]: e for e in denied}
    for token in (revoked, expired):
        event = by_account[parse_token(token).principal_id]
        assert event["outcome"] == "denied", event
        assert json.loads(event["details"])["route"] == "/v1/token/self", event  # its first ask
    assert len(denied) == 2, denied  # nothing for the made-up one


def test_token_create_says_when_the_token_expires(server: TeamServer, tmp_path: Path) -> None:
    """`--expires 1m` is a minute, not a month: the command says when, as `token list` would."""
    team = Team(server, tmp_path, "expiry", "read", "--project", "shop", "--env", "dev")
    scope = ("--project", "shop", "--env", "dev")

    short = _cli(team.alice, team.work, "token", "create", "brief", *scope, "--expires", "1m")
    forever = _cli(team.alice, team.work, "token", "create", "lasting", *scope)

    assert short.returncode == forever.returncode == 0, short.stderr + forever.stderr
    [listed] = team.listed()["brief"]
    shown = output.moment(str(listed["expires_at"]))
    assert f"it expires at {shown}, 1m from now" in short.stderr, short.stderr
    assert "it never expires (give it a lifetime with --expires, e.g. 30d)" in forever.stderr


def test_whoami_with_a_token_says_when_it_expires(server: TeamServer, tmp_path: Path) -> None:
    """A CI job's token is found out before it stops working: whoami says when it expires."""
    team = Team(server, tmp_path, "whoami-expiry", "read", "--project", "shop", "--env", "dev")
    scope = ("--role", "read", "--project", "shop", "--env", "dev")
    month = team.a("token", "create", "monthly", *scope, "--expires", "30d").strip()
    lasting = team.a("token", "create", "lasting", *scope).strip()

    code, out, err = team.token(month, "whoami", "--json")
    assert code == 0, err
    [listed] = team.listed()["monthly"]
    assert json.loads(out)["expires_at"] == output.moment(str(listed["expires_at"]))
    code, out, err = team.token(month, "whoami")
    assert code == 0, err
    assert f"expires at: {output.moment(str(listed['expires_at']))} (in 30 days)" in out

    code, out, err = team.token(lasting, "whoami", "--json")
    assert code == 0, err
    assert json.loads(out)["expires_at"] is None
    assert "expires at: never" in team.token(lasting, "whoami")[1]


def test_a_token_ending_within_a_week_says_so_on_each_command(
    server: TeamServer, tmp_path: Path
) -> None:
    """A CI log tells before the job fails: a token's command warns in its last week."""
    team = Team(server, tmp_path, "expiring", "read", "--project", "shop", "--env", "dev")
    team.a("set", "API_KEY=k", "--env", "dev")
    scope = ("--role", "read", "--project", "shop", "--env", "dev")
    soon = team.a("token", "create", "deploy", *scope, "--expires", "2d").strip()
    later = team.a("token", "create", "nightly", *scope, "--expires", "8d").strip()

    code, out, err = team.token(soon, "get", "API_KEY", "--env", "dev")
    assert (code, out) == (0, "k\n"), err
    assert "ENVKEEP_TOKEN (token 'deploy') expires in 48 h, at " in err, err
    assert "envkeep token rotate deploy" in err, err
    # `token rotate` is an admin's: a creator without admin there is told what it can do.
    assert "an admin where it holds its role makes its successor" in err, err
    assert "its creator may revoke it and create another" in err, err
    code, out, err = team.token(later, "get", "API_KEY", "--env", "dev")
    assert (code, out, err) == (0, "k\n", "")


def test_revoking_a_token_revokes_the_tokens_it_created_in_turn(
    server: TeamServer, tmp_path: Path
) -> None:
    team = Team(server, tmp_path, "chain", "write", "--project", "shop")
    team.a("set", "API_KEY=first", "--env", "dev")
    w1 = team.b("token", "create", "w1", "--role", "write", "--project", "shop").strip()
    code, sub, err = team.token(
        w1, "token", "create", "sub", "--role", "read", "--project", "shop", "--env", "dev"
    )
    assert code == 0, err
    sub = sub.strip()
    code, _, err = team.token(
        sub, "token", "create", "subsub", "--role", "read", "--project", "shop", "--env", "dev"
    )
    assert code == 0, err
    assert team.token(sub, "get", "API_KEY", "--env", "dev")[1] == "first\n"

    revoked = _cli(
        team.alice, team.work, "token", "revoke", "w1", "--yes"
    )  # an admin (or Bob, its maker)
    team.a("set", "API_KEY=second", "--env", "dev")

    assert revoked.returncode == 0, revoked.stderr
    code, out, err = team.token(sub, "get", "API_KEY", "--env", "dev")
    assert (code, out) == (4, ""), err
    ended = "revoked 'w1' and 2 tokens that depended on its roles (sub, subsub)"
    assert ended in revoked.stderr, revoked.stderr
    listed = team.listed()
    assert [r["revoked"] for name in ("w1", "sub", "subsub") for r in listed[name]] == [True] * 3
    assert team.shares_of(sub, "dev") == {1}
    assert [e["action"] for e in json.loads(team.a("audit", "--json"))].count("token.revoke") == 1


def test_taking_a_members_role_revokes_only_their_tokens_it_covered(
    server: TeamServer, tmp_path: Path
) -> None:
    team = Team(server, tmp_path, "narrow", "write", "--project", "shop")
    team.a("member", "grant", team.bob_email, "read", "--project", "shop", "--env", "staging")
    team.a("set", "API_KEY=dev-1", "--env", "dev")
    team.a("set", "API_KEY=staging-1", "--env", "staging")
    on_dev = team.b("token", "create", "on-dev", "--project", "shop", "--env", "dev").strip()
    on_staging = team.b(
        "token", "create", "on-staging", "--project", "shop", "--env", "staging"
    ).strip()

    revoked = _cli(
        team.alice, team.work, "member", "revoke", "--yes", team.bob_email, "--project", "shop"
    )
    team.a("set", "API_KEY=dev-2", "--env", "dev")

    assert revoked.returncode == 0, revoked.stderr
    assert team.token(on_dev, "get", "API_KEY", "--env", "dev")[0] == 4
    assert "revoked 1 token that depended on their roles (on-dev)" in revoked.stderr, revoked.stderr
    # Bob still reads staging: the token he made there keeps working.
    assert team.token(on_staging, "get", "API_KEY", "--env", "staging")[1] == "staging-1\n"
    listed = team.listed()
    assert [r["revoked"] for r in listed["on-dev"]] == [True]
    assert [r["revoked"] for r in listed["on-staging"]] == [False]


def test_lowering_a_members_role_revokes_their_tokens_above_it(
    server: TeamServer, tmp_path: Path
) -> None:
    team = Team(server, tmp_path, "lower", "write", "--project", "shop")
    team.a("set", "API_KEY=dev-1", "--env", "dev")
    writer = team.b("token", "create", "writer", "--role", "write", "--project", "shop").strip()
    reader = team.b("token", "create", "reader", "--role", "read", "--project", "shop").strip()

    lower = ("member", "grant", team.bob_email, "read", "--project", "shop", "--yes")
    lowered = _cli(team.alice, team.work, *lower)
    team.a("set", "API_KEY=dev-2", "--env", "dev")

    assert lowered.returncode == 0, lowered.stderr
    code, out, err = team.token(writer, "set", "API_KEY=from-ci", "--env", "dev")
    assert code == 4, out + err
    assert team.token(writer, "get", "API_KEY", "--env", "dev")[0] == 4
    assert "revoked 1 token that depended on their roles (writer)" in lowered.stderr, lowered.stderr
    assert "shop/dev" in lowered.stderr  # what the writer token could read got new keys
    assert team.token(reader, "get", "API_KEY", "--env", "dev")[1] == "dev-2\n"


def test_a_rotated_token_keeps_the_tokens_it_created_and_revoking_it_ends_them(
    server: TeamServer, tmp_path: Path
) -> None:
    team = Team(server, tmp_path, "rot", "write", "--project", "shop")
    team.a("set", "API_KEY=one", "--env", "dev")
    w1 = team.b("token", "create", "w1b", "--role", "write", "--project", "shop").strip()
    code, sub, err = team.token(w1, "token", "create", "sub", "--project", "shop", "--env", "dev")
    assert code == 0, err

    rotated = _cli(team.alice, team.work, "token", "rotate", "w1b")
    assert rotated.returncode == 0, rotated.stderr
    assert team.token(sub.strip(), "get", "API_KEY", "--env", "dev")[1] == "one\n"
    [row] = team.listed()["sub"]
    assert row["created_by"] == "token w1b"

    revoked = _cli(team.alice, team.work, "token", "revoke", "w1b", "--yes")
    assert "and 1 token that depended on its roles (sub)" in revoked.stderr, revoked.stderr
    assert team.token(sub.strip(), "get", "API_KEY", "--env", "dev")[0] == 4


def test_token_list_says_who_created_each_token_and_what_a_revoked_one_could_do(
    server: TeamServer, tmp_path: Path
) -> None:
    """A live token whose role was taken shows none; a revoked one the role it held when it
    ended (migration 0010), to whoever may see that scope's tokens."""
    team = Team(server, tmp_path, "list", "write", "--project", "shop")
    team.a("token", "create", "alice-ws", "--role", "read")
    team.a("token", "create", "gone", "--role", "read", "--project", "shop")
    team.b("token", "create", "bobs", "--role", "read", "--project", "shop", "--env", "dev")
    team.a("member", "revoke", "--yes", "alice-ws")  # its only role, at workspace scope
    team.a("token", "revoke", "gone", "--yes")

    shown = _cli(team.alice, team.work, "token", "list")
    listed = team.listed()

    assert shown.returncode == 0, shown.stderr
    lines = {line.split()[0]: line.split() for line in shown.stdout.splitlines()[1:]}
    assert lines["alice-ws"][1:3] == ["-", "-"], shown.stdout  # no role, so no scope
    assert lines["gone"][1:3] == ["read", "shop"], shown.stdout  # what it held, ended
    assert lines["gone"][-1] == "revoked"
    assert lines["bobs"][1:3] == ["read", "shop/dev"]
    assert "CREATED BY" in shown.stdout.splitlines()[0]
    assert team.alice_email in lines["alice-ws"]
    assert team.bob_email in lines["bobs"]
    assert listed["bobs"][0]["created_by"] == team.bob_email
    assert listed["gone"][0]["created_by"] == team.alice_email
    # --json says "no role" as null, never as the table's "-"
    assert [(r["role"], r["project"], r["environment"]) for r in listed["alice-ws"]] == [
        (None, None, None)
    ], listed["alice-ws"]
    assert [(r["role"], r["project"], r["revoked"]) for r in listed["gone"]] == [
        ("read", "shop", True)
    ], listed["gone"]
    assert listed["bobs"][0]["role"] == "read"
    # Bob (write on shop) sees the revoked token of his project, as he saw it live; not
    # Alice's workspace-wide one, which he could not see live either
    seen_by_bob = {row["label"]: row for row in json.loads(team.b("token", "list", "--json"))}
    assert seen_by_bob["gone"]["role"] == "read", seen_by_bob
    assert seen_by_bob["gone"]["revoked"] is True
    assert "alice-ws" not in seen_by_bob, seen_by_bob
    # a live token left with no role is told so, not that it was revoked
    no_role = _cli(team.alice, team.work, "token", "rotate", "alice-ws")
    assert no_role.returncode == 2, no_role.stderr
    assert "token 'alice-ws' holds no role any more" in no_role.stderr, no_role.stderr
    assert "envkeep member grant alice-ws ROLE" in no_role.stderr, no_role.stderr
    # and whoever sees it is told it was revoked when rotating it, admin or not
    for home in (team.alice, team.bob):
        rotated = _cli(home, team.work, "token", "rotate", "gone")
        assert rotated.returncode == 2, rotated.stderr
        assert "token 'gone' was revoked: it cannot be rotated" in rotated.stderr, rotated.stderr
        assert "envkeep token create gone --role ROLE" in rotated.stderr, rotated.stderr


def test_token_list_keeps_a_names_history_and_revoke_and_rotate_act_on_the_live_token(
    server: TeamServer, tmp_path: Path
) -> None:
    """A name given again (by `token rotate`, or to a new token once its holder was revoked)
    shows a row per token that held it, oldest first, each with when it was created and
    ended; the commands that take the name act on the token that holds it now."""
    team = Team(server, tmp_path, "history", "read", "--project", "shop", "--env", "dev")
    team.a("set", "API_KEY=v1", "--env", "dev")
    scope = ("--project", "shop", "--env", "dev")
    first = team.a("token", "create", "ci", *scope, "--expires", "30d").strip()
    rotated = _cli(team.alice, team.work, "token", "rotate", "ci")
    team.a("token", "revoke", "ci", "--yes")
    live = team.a("token", "create", "ci", *scope).strip()

    shown = _cli(team.alice, team.work, "token", "list")
    history = team.listed()["ci"]

    assert rotated.returncode == 0, rotated.stderr
    assert "rotated 'ci': the old token no longer works" in rotated.stderr, rotated.stderr
    assert "(the old token's lifetime, from now)" in rotated.stderr, rotated.stderr
    assert shown.returncode == 0, shown.stderr
    header, *lines = shown.stdout.splitlines()
    assert re.split(r"\s{2,}", header.strip()) == [
        *("TOKEN", "ROLE", "SCOPE", "CREATED BY", "CREATED", "LAST USED", "EXPIRES", "ENDED"),
        "STATE",
    ]
    cells = [re.split(r"\s{2,}", line.strip()) for line in lines]
    assert [(row[0], row[-1]) for row in cells] == [
        ("ci", "rotated out"),
        ("ci", "revoked"),
        ("ci", "active"),
    ], lines
    assert [(r["ended"], r["revoked"]) for r in history] == [
        ("rotated out", True),
        ("revoked", True),
        (None, False),
    ]
    accounts = [_account(r) for r in history]
    first_id, live_id = (parse_token(t).principal_id for t in (first, live))
    assert accounts == [first_id, accounts[1], live_id]
    assert len(set(accounts)) == 3  # --json tells them apart
    ended = [datetime.fromisoformat(str(r["ended_at"])) for r in history[:2]]
    assert ended[0] <= datetime.fromisoformat(str(history[1]["created_at"])) <= ended[1]
    assert history[2]["ended_at"] is None
    for row in cells[:2]:  # ENDED, relative to now as every time in the table
        assert re.fullmatch(r"(< 1|\d+)m ago", row[-2]), row

    again = _cli(team.alice, team.work, "token", "rotate", "ci", "--expires", "never")
    assert again.returncode == 0, again.stderr  # the live one, not an ended one of the name
    assert "it never expires" in again.stderr, again.stderr
    team.a("token", "revoke", "ci", "--yes")  # the live one again: the rotation's successor

    after = team.listed()["ci"]
    assert [r["ended"] for r in after] == ["rotated out", "revoked", "rotated out", "revoked"]
    assert _account(after[2]) == parse_token(live).principal_id


def _account(row: dict[str, object]) -> str:
    """The account id of a `token list --json` row."""
    principal = row["principal"]
    assert isinstance(principal, dict)
    return str(principal["id"])


def test_token_list_leaves_out_tokens_that_ended_long_ago_unless_all(
    server: TeamServer, tmp_path: Path
) -> None:
    team = Team(server, tmp_path, "window", "read", "--project", "shop", "--env", "dev")
    scope = ("--project", "shop", "--env", "dev")
    old = team.a("token", "create", "old", *scope).strip()
    team.a("token", "create", "recent", *scope)
    team.a("token", "create", "live", *scope)
    for name in ("old", "recent"):
        team.a("token", "revoke", name, "--yes")
    team.ended_long_ago(old)

    shown = _cli(team.alice, team.work, "token", "list")
    as_json = _cli(team.alice, team.work, "token", "list", "--json")
    every = _cli(team.alice, team.work, "token", "list", "--all", "--json")

    assert shown.returncode == as_json.returncode == every.returncode == 0, shown.stderr
    assert [line.split()[0] for line in shown.stdout.splitlines()[1:]] == ["live", "recent"]
    note = "1 token that ended over 30 days ago not shown: envkeep token list --all"
    assert note in shown.stderr, shown.stderr
    assert note in as_json.stderr, as_json.stderr
    assert [t["label"] for t in json.loads(as_json.stdout)] == ["live", "recent"]
    assert [t["label"] for t in json.loads(every.stdout)] == ["live", "old", "recent"]
    assert every.stderr == ""


def test_a_refused_token_is_named_as_a_token_with_what_to_do(
    server: TeamServer, tmp_path: Path
) -> None:
    team = Team(server, tmp_path, "refused", "read", "--project", "shop")
    token = team.a("token", "create", "ci", "--project", "shop").strip()
    team.a("token", "revoke", "ci", "--yes")
    principal_id = parse_token(token).principal_id
    unknown = f"ek_sa_{principal_id}_{'A' * 43}"

    for refused in (token, unknown):
        code, out, err = team.token(refused, "get", "API_KEY", "--env", "dev")
        assert (code, out) == (4, ""), err
        assert "not logged in" not in err
        assert "envkeep login URL" not in err
        assert "token (ENVKEEP_TOKEN) was refused" in err, err
        assert "envkeep token rotate" in err, err


def _token_body(name: str, env_id: str, role: str = "read") -> tuple[str, dict[str, Any]]:
    """A new token and the body that creates it with ``role`` on shop/dev (stand-in keys)."""
    principal_id = str(uuid.uuid4())
    token = f"ek_sa_{principal_id}_{credentials.new_secret()}"
    share = {"environment_id": env_id, "key_version": 1, "recipient_id": principal_id}
    return token, {
        "principal_id": principal_id,
        "encryption_public": KEY,
        "signing_public": KEY,
        "wrapped_private_keys": KEY,
        "token_hash": credentials.token_hash(token),
        "shares": [{**share, "sealed": KEY}],
        "name": name,
        "role": role,
        "project": "shop",
        "environment": "dev",
    }


def _events(engine: Engine) -> list[tuple[str, dict[str, Any]]]:
    with Session(engine) as session:
        rows = session.execute(
            select(AuditEvent.action, AuditEvent.details).order_by(AuditEvent.seq)
        ).all()
    return [(action, json.loads(details or "{}")) for action, details in rows]


def test_one_request_removes_a_member_ends_their_tokens_and_writes_one_audit_event(
    engine: Engine, database: str
) -> None:
    with TestClient(create_app(database, rate=0)) as client:
        owner = client.post(
            "/v1/invites/accept", json=joining(founding_invite(engine, "own@x.io"), "own@x.io")
        ).json()
        ws = f"/v1/workspaces/{owner['workspace_id']}"
        as_owner = {"Authorization": f"Bearer {owner['token']}"}
        dev = str(uuid.uuid4())
        project = {
            "name": "shop",
            "environments": [{"id": dev, "name": "dev", "sealed_share": KEY}],
        }
        assert client.post(f"{ws}/projects", json=project, headers=as_owner).status_code == 201
        invite = {"email": "bob@x.io", "role": "write", "project": "shop", "environment": "dev"}
        code = client.post(f"{ws}/invites", json=invite, headers=as_owner).json()["code"]
        bob = client.post("/v1/invites/accept", json=joining(code, "bob@x.io")).json()
        as_bob = {"Authorization": f"Bearer {bob['token']}"}
        bobtok, body = _token_body("bobtok", dev)
        assert client.post(f"{ws}/tokens", json=body, headers=as_bob).status_code == 201
        subtok, body = _token_body("sub", dev)
        as_bobtok = {"Authorization": f"Bearer {bobtok}"}
        assert client.post(f"{ws}/tokens", json=body, headers=as_bobtok).status_code == 201
        before = _events(engine)

        removed = client.post(
            f"{ws}/members/remove", json={"principal_id": bob["principal_id"]}, headers=as_owner
        )

        assert removed.status_code == 200, removed.text
        assert removed.json()["tokens_revoked"] == ["bobtok", "sub"]
        assert removed.json()["environment_ids"] == [dev]
        after = _events(engine)
        assert after[: len(before)] == before
        assert [(a, d.get("tokens_revoked")) for a, d in after[len(before) :]] == [
            ("member.remove", ["bobtok", "sub"])
        ]
        snapshot = f"{ws}/projects/shop/environments/dev/snapshot"
        for token in (bobtok, subtok):
            refused = client.get(snapshot, headers={"Authorization": f"Bearer {token}"})
            assert refused.status_code == 401
            assert "ENVKEEP_TOKEN" in refused.json()["title"]
        readers = client.get(f"{ws}/projects/shop/environments/dev/readers", headers=as_owner)
        assert [r["name"] for r in readers.json()] == ["own@x.io"]


def test_a_revoked_tokens_name_is_free_for_a_new_token_a_live_ones_is_not(
    server: TeamServer, tmp_path: Path
) -> None:
    team = Team(server, tmp_path, "reuse", "read", "--project", "shop")
    team.a("set", "API_KEY=first", "--env", "dev")
    scope = ("--role", "read", "--project", "shop", "--env", "dev")
    old = team.a("token", "create", "ci", *scope).strip()
    taken = _cli(team.alice, team.work, "token", "create", "ci", *scope)
    assert taken.returncode == 1
    assert "revoke it first (envkeep token revoke ci)" in taken.stderr

    team.a("token", "revoke", "ci", "--yes")
    new = team.a("token", "create", "ci", *scope).strip()

    assert team.token(new, "get", "API_KEY", "--env", "dev")[1] == "first\n"
    assert team.token(old, "get", "API_KEY", "--env", "dev")[0] == 4
    # the new one holds the name; the revoked one it took it from is listed before it
    assert [(r["revoked"], r["ended"]) for r in team.listed()["ci"]] == [
        (True, "revoked"),
        (False, None),
    ]
    code, out, err = team.token(new, "whoami", "--json")
    assert code == 0, err
    assert json.loads(out)["token"] == "ci"
    by_it = json.loads(team.a("audit", "--principal", "token ci", "--json"))  # as WHO shows it
    assert by_it, "the new token's read is in the trail"
    assert {e["principal"] for e in by_it} == {"token ci", "token ci (revoked)"}
    # the old one acted only before its revocation, and then tried once more, refused
    tried = [e for e in by_it if e["principal"] == "token ci (revoked)"]
    assert [e["action"] for e in tried][-1] == "request.denied", tried


def test_revoking_twice_says_nothing_changed_and_rotates_nothing(
    server: TeamServer, tmp_path: Path
) -> None:
    team = Team(server, tmp_path, "twice", "read", "--project", "shop")
    team.a("token", "create", "ci", "--role", "read", "--project", "shop", "--env", "dev")
    first = _cli(team.alice, team.work, "token", "revoke", "ci", "--yes")
    assert first.returncode == 0
    assert "new keys for: shop/dev" in first.stderr
    by_reader = _cli(
        team.bob, team.work, "token", "revoke", "ci", "--yes"
    )  # bob reads, admins nothing
    # revoked, it is still in Bob's `token list` with the role it held where he reads
    # (migration 0010), so he is told so, and nothing changes
    assert by_reader.returncode == 1, by_reader.stderr
    assert "error: token 'ci' is revoked already; nothing changed" in by_reader.stderr
    team.a("member", "revoke", "--yes", team.bob_email, "--project", "shop")
    engine = open_engine(server.database)
    keys_before = _key_versions(engine)

    token_again = _cli(team.alice, team.work, "token", "revoke", "ci", "--yes")
    member_again = _cli(
        team.alice, team.work, "member", "revoke", "--yes", team.bob_email, "-p", "shop"
    )

    assert token_again.returncode == 1
    assert "error: token 'ci' is revoked already; nothing changed" in token_again.stderr
    assert "envkeep env rotate-key" in token_again.stderr
    assert member_again.returncode == 1
    assert f"error: {team.bob_email} holds no role at shop; nothing changed" in member_again.stderr
    assert "envkeep member list" in member_again.stderr
    assert _key_versions(engine) == keys_before
    engine.dispose()


def _key_versions(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        rows = session.execute(select(Environment.id, Environment.key_version)).all()
    return {str(env_id): int(version) for env_id, version in rows}


@pytest.mark.parametrize("server", ["sqlite"], indirect=True)  # the client's doing: one database
def test_an_envkeep_run_by_a_token_run_is_told_why_it_has_no_token(
    server: TeamServer, tmp_path: Path
) -> None:
    team = Team(server, tmp_path, "nested", "read", "--project", "shop")
    team.a("set", "API_KEY=inner", "--env", "dev")
    token = team.a("token", "create", "deploy", "--role", "read", "--project", "shop").strip()
    nested = ("--", ENVKEEP[0], "get", "API_KEY", "--env", "dev")

    code, out, err = team.token(token, "run", "--env", "dev", *nested)
    assert code == 4, err
    assert "(pass it on with: envkeep run --pass-token)" in err
    assert out == ""

    code, out, err = team.token(token, "run", "--env", "dev", "--pass-token", *nested)
    assert (code, out) == (0, "inner\n"), err


def test_revoke_names_whose_role_and_says_when_it_was_their_last_and_remove_names_them(
    server: TeamServer, tmp_path: Path
) -> None:
    team = Team(server, tmp_path, "last", "read", "--project", "shop", "--env", "staging")
    team.a("member", "grant", team.bob_email, "write", "--project", "shop", "--env", "dev")

    first = _cli(
        team.alice,
        team.work,
        "member",
        "revoke",
        "--yes",
        team.bob_email,
        "-p",
        "shop",
        "-e",
        "dev",
    )
    last = _cli(
        team.alice,
        team.work,
        "member",
        "revoke",
        "--yes",
        team.bob_email,
        "-p",
        "shop",
        "-e",
        "staging",
    )
    removed = _cli(team.alice, team.work, "member", "remove", team.bob_email, "--yes")

    assert first.returncode == last.returncode == 0, first.stderr + last.stderr
    assert first.stderr.startswith(f"revoked {team.bob_email}'s write on shop/dev; new keys for:")
    assert "holds no role" not in first.stderr  # staging's read is left
    assert last.stderr.startswith(f"revoked {team.bob_email}'s read on shop/staging; ")
    assert f"{team.bob_email} holds no role in this workspace now" in last.stderr
    assert removed.returncode == 1
    assert removed.stderr.startswith(
        f"error: {team.bob_email} holds no role in this workspace; there is nothing to remove"
    )
    assert "envkeep member grant" in removed.stderr
