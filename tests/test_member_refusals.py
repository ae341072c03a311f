"""What `member grant` and `member invite` refuse, and what `member list` no longer advises, on
a real team server (SQLite and PostgreSQL): nobody changes their own role (a sole admin would
lock the workspace), nobody is invited to a workspace they are a member of (the code could
never be used: `member grant` gives the role), and an invite that expired unused is no news
once its email joined with a later code."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from envkeep.client.member_invites import expired_notes
from envkeep.store.engine import open_engine
from envkeep.store.models import Invite
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
    yield from server_per_database(request, tmp_path_factory, "refusals")


def _founder(server: TeamServer, root: Path, email: str) -> tuple[Path, Path]:
    """(home, project dir) of the sole admin of a new workspace with project shop."""
    home, work = root / "founder", root / "work"
    work.mkdir()
    join(server, home, work, server.invite(email), email)
    _ok(home, work, "init", "shop")
    return home, work


def _member(server: TeamServer, inviter: Path, work: Path, email: str, *role: str) -> Path:
    """The home of ``email``, invited by ``inviter`` (``role``: --role ROLE [--project P
    [--env E]]) and joined."""
    home = work.parent / email.partition("@")[0]
    join(server, home, work, _ok(inviter, work, "member", "invite", email, *role).strip(), email)
    return home


def _roster(home: Path, work: Path) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = json.loads(_ok(home, work, "member", "list", "--json"))
    return listed


def _api(server: TeamServer, home: Path, method: str, path: str, body: Any) -> httpx.Response:
    """A request to the server's API with the session ``home`` logged in with."""
    session = json.loads((home / "session.json").read_text())
    url = f"{server.url}/v1/workspaces/{session['workspace_id']}/{path}"
    headers = {"Authorization": f"Bearer {session['token']}"}
    return httpx.request(method, url, json=body, headers=headers)


def _whoami(home: Path) -> str:
    principal_id: str = json.loads((home / "session.json").read_text())["principal_id"]
    return principal_id


def test_the_sole_admin_cannot_change_their_own_role_and_nothing_changes(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = _founder(server, tmp_path, "alice@self.io")
    before = _roster(alice, work)

    lowered = _cli(alice, work, "member", "grant", "alice@self.io", "read", "--yes")
    in_project = _cli(alice, work, "member", "grant", "alice@self.io", "write", "--project", "shop")
    direct = _api(
        server,
        alice,
        "POST",
        "members/grant",
        {"principal_id": _whoami(alice), "role": "read", "shares": []},
    )

    for refused in (lowered, in_project):
        assert refused.returncode == 2, refused.stderr
        assert "error: you cannot change your own role\n" in refused.stderr
        assert "you are the only admin here: invite another first" in refused.stderr
    assert "then they run: envkeep member grant alice@self.io read\n" in lowered.stderr
    assert (
        "then they run: envkeep member grant alice@self.io write --project shop"
        in in_project.stderr
    )
    assert direct.status_code == 400, direct.text  # the server refuses, not the CLI only
    problem = direct.json()
    assert (problem["code"], problem["title"]) == (
        "usage",
        "you cannot change your own role",
    )
    assert "envkeep member grant alice@self.io read" in problem["hint"]
    assert _roster(alice, work) == before
    events = json.loads(_ok(alice, work, "audit", "--action", "member.grant", "--json"))
    assert events == []
    _ok(alice, work, "set", "DB=still-mine", "--env", "dev")  # still the admin


def test_another_admin_changes_an_admins_role(server: TeamServer, tmp_path: Path) -> None:
    alice, work = _founder(server, tmp_path, "alice@other.io")
    bob = _member(server, alice, work, "bob@other.io", "--role", "admin")
    _ok(alice, work, "member", "grant", "bob@other.io", "admin")

    own = _cli(bob, work, "member", "grant", "bob@other.io", "read", "--yes")
    lowered = _cli(bob, work, "member", "grant", "alice@other.io", "read", "--yes")

    assert own.returncode == 2, own.stderr
    assert lowered.returncode == 0, lowered.stderr
    roles = {(m["principal"]["name"], m["role"]) for m in _roster(bob, work)}
    assert roles == {("alice@other.io", "read"), ("bob@other.io", "admin")}


def test_inviting_someone_to_a_scope_where_they_hold_a_role_is_refused_with_the_grant(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = _founder(server, tmp_path, "alice@again.io")
    staging = ("--project", "shop", "--env", "staging")
    carol = _member(server, alice, work, "carol@again.io", "--role", "read", *staging)

    refused = _cli(alice, work, "member", "invite", "Carol@again.io", "--role", "write", *staging)
    body = {"email": "carol@again.io", "role": "read", "project": "shop", "environment": "staging"}
    direct = _api(server, alice, "POST", "invites", body)

    assert refused.returncode == 1, refused.stderr
    assert refused.stdout == ""  # no code
    assert refused.stderr == (
        "error: carol@again.io holds read on shop/staging already; an invite there could not be"
        " used\nhint: change their role with: envkeep member grant carol@again.io write"
        " --project shop --env staging\n"
    )
    assert direct.status_code == 409, direct.text
    assert direct.json()["code"] == "already_exists"
    assert [m["state"] for m in _roster(alice, work)] == ["active", "active"]  # no invite made
    _ok(alice, work, "member", "grant", "carol@again.io", "write", *staging)  # the hint works
    _ok(alice, work, "set", "DB=staging-db", "--env", "staging")
    assert _ok(carol, work, "get", "DB", "--env", "staging") == "staging-db\n"


def test_a_member_is_still_invited_to_another_scope_and_joins_with_the_code(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = _founder(server, tmp_path, "alice@elsewhere.io")
    dev = ("--project", "shop", "--env", "dev")
    carol = _member(server, alice, work, "carol@elsewhere.io", "--role", "read", *dev)

    code = _ok(alice, work, "member", "invite", "carol@elsewhere.io", "--project", "shop")
    joined = _cli(carol, work, "join", server.url, code.strip())

    assert joined.returncode == 0, joined.stderr
    roles = {
        (m["role"], m["project"], m["environment"])
        for m in _roster(alice, work)
        if m.get("principal", {}).get("name") == "carol@elsewhere.io"
    }
    assert roles == {("read", "shop", "dev"), ("read", "shop", None)}


def test_only_an_admin_of_the_scope_hears_that_someone_holds_a_role_there(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = _founder(server, tmp_path, "alice@seen.io")
    reader = _member(server, alice, work, "reader@seen.io", "--role", "read", "--project", "shop")

    by_reader = _cli(reader, work, "member", "invite", "alice@seen.io", "--role", "read")
    to_shop = _cli(reader, work, "member", "invite", "reader@seen.io", "--project", "shop")

    for refused in (by_reader, to_shop):  # not an admin: refused for that alone
        assert refused.returncode == 4, refused.stderr
        assert "you need the admin role" in refused.stderr, refused.stderr
        assert "already" not in refused.stderr


def _expire(server: TeamServer, email: str) -> None:
    """Make every invite for ``email`` expired five minutes ago."""
    engine = open_engine(server.database)
    with Session(engine) as session, session.begin():
        session.execute(
            update(Invite)
            .where(Invite.email == email)
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=5))
        )
    engine.dispose()


def test_member_list_notes_no_expired_invite_of_someone_who_joined_or_was_invited_again(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = _founder(server, tmp_path, "alice@late.io")
    people = ("dave@late.io", "erin@late.io", "finn@late.io", "gail@late.io")
    for email in people:
        _ok(alice, work, "member", "invite", email, "--project", "shop")
        _expire(server, email)
    _member(server, alice, work, "dave@late.io", "--project", "shop")  # joined with a new code
    _ok(alice, work, "member", "invite", "erin@late.io", "--project", "shop")  # pending again
    _ok(alice, work, "member", "invite", "gail@late.io", "--role", "read")  # elsewhere

    shown = _cli(alice, work, "member", "list")

    assert shown.returncode == 0, shown.stderr
    invites = [(m["email"], m["state"]) for m in _roster(alice, work) if "email" in m]
    assert ("dave@late.io", "expired") in invites  # still listed, as what it is
    notes = [line for line in shown.stderr.splitlines() if "expired unused" in line]
    # `member remove` would withdraw Gail's pending invite too: not offered to clear hers
    assert notes == [
        _expired_note("finn@late.io", "--project shop", clear=True),
        _expired_note("gail@late.io", "--project shop", clear=False),
    ], shown.stderr
    assert "envkeep member remove dave@late.io" not in shown.stderr


def _expired_note(email: str, scope: str, *, clear: bool) -> str:
    again = f"envkeep member invite {email} --role read {scope}".strip()
    note = f"the invite for {email} expired unused: invite again with: {again}"
    return f"{note} (or clear it: envkeep member remove {email})" if clear else note


def _invite_entry(
    email: str, state: str, made: str, project: str | None = "shop"
) -> dict[str, Any]:
    return {
        "id": f"{email}-{made}",
        "email": email,
        "role": "read",
        "project": project,
        "environment": None,
        "created_at": f"2030-01-0{made}T00:00:00+00:00",
        "state": state,
    }


def test_of_two_expired_invites_to_one_scope_only_the_later_gets_a_note() -> None:
    found = [
        _invite_entry("hal@late.io", "expired", "1"),
        _invite_entry("hal@late.io", "expired", "2"),
        _invite_entry("hal@late.io", "expired", "3", project=None),
    ]

    notes = expired_notes(found)

    assert notes == [
        _expired_note("hal@late.io", "--project shop", clear=True),
        _expired_note("hal@late.io", "", clear=True),
    ]
