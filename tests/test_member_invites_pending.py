"""Pending invites on a real team server: `member list` shows them (role, scope, expiry) to
whoever sees members at their scope, and `member remove EMAIL` withdraws one (an admin of its
scope), after which its code joins nobody."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from envkeep.client.member_invites import state_words
from envkeep.store.engine import open_engine
from envkeep.store.models import Invite
from tests.server import TeamServer, start_server
from tests.server import cli as _cli
from tests.server import join as _join
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("invites"))
    yield running
    running.stop()


def _founder(server: TeamServer, root: Path, email: str) -> tuple[Path, Path]:
    """(home, project dir) of the admin of a new workspace with project shop."""
    home, work = root / "alice", root / "work"
    work.mkdir()
    _join(server, home, work, server.invite(email), email)
    _ok(home, work, "init", "shop")
    return home, work


def _invite(home: Path, work: Path, email: str, *role: str) -> str:
    """The code of ``email``'s invite (``role``: --role ROLE [--project P [--env E]])."""
    return _ok(home, work, "member", "invite", email, *role).strip()


def _invites(home: Path, work: Path) -> dict[str, dict[str, Any]]:
    """The invites `member list --json` shows, by email."""
    listed = json.loads(_ok(home, work, "member", "list", "--json"))
    return {e["email"]: e for e in listed if e["kind"] == "invite"}


def _join_fails(server: TeamServer, root: Path, work: Path, code: str, email: str) -> str:
    """Joining with ``code`` as a new account must fail; what it said."""
    done = _cli(
        root / email,
        work,
        "join",
        server.url,
        code,
        "--email",
        email,
        ENVKEEP_PASSPHRASE="a long passphrase",
    )
    assert done.returncode != 0, done.stderr
    return done.stderr


def test_member_list_shows_a_pending_invite_with_its_role_scope_and_expiry(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = _founder(server, tmp_path, "alice@list.io")
    _invite(alice, work, "bob@list.io", "--role", "write", "--project", "shop")

    shown = _ok(alice, work, "member", "list")
    listed = json.loads(_ok(alice, work, "member", "list", "--json"))

    assert shown.splitlines()[0].split() == ["MEMBER", "ROLE", "PROJECT", "ENV", "KEYS", "STATE"]
    row = next(line for line in shown.splitlines() if line.startswith("bob@list.io"))
    assert re.search(r"write\s+shop\s+\*\s+pending, expires in 2d 23h\s*$", row), shown
    assert re.search(r"^alice@list\.io\s+admin\s+\*\s+\*\s+active\s*$", shown, re.M), shown
    [member, invite] = listed
    assert (member["kind"], invite["kind"]) == ("member", "invite")
    assert (member["principal"]["name"], member["state"]) == ("alice@list.io", "active")
    assert {k: invite[k] for k in ("state", "email", "role", "project", "environment")} == {
        "state": "pending",
        "email": "bob@list.io",
        "role": "write",
        "project": "shop",
        "environment": None,
    }
    assert (invite["expired"], invite["invited_by"]) == (False, "alice@list.io")
    expires = datetime.fromisoformat(invite["expires_at"]) - datetime.now(UTC)
    assert timedelta(days=2, hours=23) < expires <= timedelta(days=3)


def test_an_expired_invite_is_listed_as_expired_with_what_to_do_about_it(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = _founder(server, tmp_path, "alice@expiry.io")
    code = _invite(alice, work, "carol@expiry.io", "--role", "read", "--project", "shop")
    engine = open_engine(server.database)
    with Session(engine) as session, session.begin():
        session.execute(
            update(Invite)
            .where(Invite.email == "carol@expiry.io")
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=5))
        )
    engine.dispose()

    shown = _cli(alice, work, "member", "list")

    assert re.search(r"^carol@expiry\.io\s+read\s+shop\s+\*\s+expired\s*$", shown.stdout, re.M)
    assert (
        "the invite for carol@expiry.io expired unused: invite again with: envkeep member invite"
        " carol@expiry.io --role read --project shop (or clear it: envkeep member remove"
        " carol@expiry.io)"
    ) in shown.stderr, shown.stderr
    assert _invites(alice, work)["carol@expiry.io"]["state"] == "expired"
    assert "this invite has expired" in _join_fails(server, tmp_path, work, code, "carol@expiry.io")


def test_each_member_sees_the_invites_at_the_scopes_its_roles_reach(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = _founder(server, tmp_path, "alice@reach.io")
    crm = tmp_path / "crm"
    crm.mkdir()
    _ok(alice, crm, "init", "crm")
    lead, reader = tmp_path / "lead", tmp_path / "reader"
    code = _invite(alice, work, "lead@reach.io", "--role", "admin", "--project", "shop")
    _join(server, lead, work, code, "lead@reach.io")
    code = _invite(alice, work, "reader@reach.io", "--role", "read", "--project", "shop")
    _join(server, reader, work, code, "reader@reach.io")

    _invite(alice, work, "sales@reach.io", "--role", "write", "--project", "crm")
    _invite(lead, work, "dev@reach.io", "--role", "write", "--project", "shop")
    _invite(alice, work, "auditor@reach.io", "--role", "read")  # the whole workspace

    assert set(_invites(alice, work)) == {"sales@reach.io", "dev@reach.io", "auditor@reach.io"}
    # A project's admin and a project's reader see invites to their project and to the
    # workspace around it (as they see the members there), never another project's.
    assert set(_invites(lead, work)) == {"dev@reach.io", "auditor@reach.io"}
    assert set(_invites(reader, work)) == {"dev@reach.io", "auditor@reach.io"}
    assert "sales@reach.io" not in _ok(lead, work, "member", "list")
    stranger = tmp_path / "stranger"
    _join(server, stranger, work, server.invite("eve@reach.io"), "eve@reach.io")
    refused = _cli(stranger, work, "member", "list")  # another tenant's admin
    assert refused.returncode == 4, refused.stderr
    assert "you have no role in this workspace" in refused.stderr
    assert "@reach.io" not in refused.stdout


def test_member_remove_withdraws_a_pending_invite_and_its_code_no_longer_joins(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = _founder(server, tmp_path, "alice@withdraw.io")
    code = _invite(alice, work, "dan@withdraw.io", "--role", "write", "--project", "shop")
    kept = _invite(alice, work, "erin@withdraw.io", "--role", "read")

    withdrawn = _cli(alice, work, "member", "remove", "dan@withdraw.io")

    assert withdrawn.returncode == 0, withdrawn.stderr
    assert withdrawn.stderr == (
        "withdrew the invite for dan@withdraw.io (write on shop): its code no longer works\n"
    )
    assert set(_invites(alice, work)) == {"erin@withdraw.io"}
    events = json.loads(_ok(alice, work, "audit", "--action", "invite.withdraw", "--json"))
    shop = events[0]["project_id"]
    assert shop
    assert [(e["target"], json.loads(e["details"])) for e in events] == [
        (
            "dan@withdraw.io",
            {"role": "write", "project": "shop", "environment": None, "project_id": shop},
        )
    ]
    assert "unknown invite code" in _join_fails(server, tmp_path, work, code, "dan@withdraw.io")
    again = _cli(alice, work, "member", "remove", "dan@withdraw.io")
    assert again.returncode == 1, again.stderr  # nothing left to withdraw
    _join(server, tmp_path / "erin", work, kept, "erin@withdraw.io")  # the other one still works


def test_withdrawing_an_invite_needs_the_admin_role_at_its_scope(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = _founder(server, tmp_path, "alice@rights.io")
    crm = tmp_path / "crm"
    crm.mkdir()
    _ok(alice, crm, "init", "crm")
    lead, reader = tmp_path / "lead", tmp_path / "reader"
    _join(
        server,
        lead,
        work,
        _invite(alice, work, "lead@rights.io", "--role", "admin", "--project", "shop"),
        "lead@rights.io",
    )
    _join(
        server,
        reader,
        work,
        _invite(alice, work, "reader@rights.io", "--role", "read", "--project", "shop"),
        "reader@rights.io",
    )
    _invite(lead, work, "dev@rights.io", "--role", "write", "--project", "shop")
    _invite(alice, work, "auditor@rights.io", "--role", "read")  # the whole workspace
    # A member of crm, invited to shop by its admin, who cannot see (nor remove) crm's members.
    sales = tmp_path / "sales"
    _join(
        server,
        sales,
        crm,
        _invite(alice, crm, "sales@rights.io", "--role", "read", "--project", "crm"),
        "sales@rights.io",
    )
    _invite(lead, work, "sales@rights.io", "--role", "read", "--project", "shop")
    before = _invites(alice, work)

    by_reader = _cli(reader, work, "member", "remove", "dev@rights.io")
    beyond = _cli(lead, work, "member", "remove", "auditor@rights.io")

    assert by_reader.returncode == 4, by_reader.stderr
    assert "you need the admin role on project shop (you have: read there)" in by_reader.stderr
    assert beyond.returncode == 4, beyond.stderr
    assert "you need the admin role on the workspace (you have: none there)" in beyond.stderr
    assert _invites(alice, work) == before
    done = _cli(lead, work, "member", "remove", "dev@rights.io")
    assert done.returncode == 0, done.stderr
    assert "withdrew the invite for dev@rights.io (write on shop)" in done.stderr
    done = _cli(lead, work, "member", "remove", "sales@rights.io")
    assert done.returncode == 0, done.stderr
    assert "withdrew the invite for sales@rights.io (read on shop)" in done.stderr
    assert set(_invites(alice, work)) == {"auditor@rights.io"}
    members = json.loads(_ok(alice, work, "member", "list", "--json"))
    assert ("sales@rights.io", "crm") in {
        (m["principal"]["name"], m["project"]) for m in members if m["state"] == "active"
    }  # her role stays


def test_removing_a_member_withdraws_their_pending_invites_too(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = _founder(server, tmp_path, "alice@gone.io")
    frank = tmp_path / "frank"
    _join(
        server,
        frank,
        work,
        _invite(alice, work, "frank@gone.io", "--role", "read"),
        "frank@gone.io",
    )
    later = _invite(alice, work, "frank@gone.io", "--role", "admin", "--project", "shop")

    removed = _cli(alice, work, "member", "remove", "frank@gone.io", "--yes")

    assert removed.returncode == 0, removed.stderr
    assert removed.stderr.startswith(
        "removed frank@gone.io and withdrew their pending invite (admin on shop); new keys for:"
    ), removed.stderr
    assert _invites(alice, work) == {}
    rejoined = _cli(frank, work, "join", server.url, later)
    assert rejoined.returncode != 0, rejoined.stderr
    assert "unknown invite code" in rejoined.stderr
    [event] = json.loads(_ok(alice, work, "audit", "--action", "member.remove", "--json"))
    assert json.loads(event["details"])["invites_withdrawn"] == 1


def test_remove_invites_withdraws_a_members_invite_and_keeps_the_member(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = _founder(server, tmp_path, "alice@keep.io")
    gina = tmp_path / "gina"
    joined = _invite(alice, work, "gina@keep.io", "--role", "read")
    _join(server, gina, work, joined, "gina@keep.io")
    later = _invite(alice, work, "gina@keep.io", "--role", "admin", "--project", "shop")

    withdrawn = _cli(alice, work, "member", "remove", "gina@keep.io", "--invites")
    again = _cli(alice, work, "member", "remove", "gina@keep.io", "--invites")
    both = _cli(alice, work, "member", "remove", "gina@keep.io", "--invites", "--revoke-now")

    assert withdrawn.returncode == 0, withdrawn.stderr
    assert "withdrew the invite for gina@keep.io (admin on shop)" in withdrawn.stderr
    assert _invites(alice, work) == {}
    members = json.loads(_ok(alice, work, "member", "list", "--json"))
    assert ("gina@keep.io", "read") in {
        (m["principal"]["name"], m["role"]) for m in members if m["kind"] == "member"
    }  # her role stays, and no key was rotated for her
    assert "unknown invite code" in _cli(gina, work, "join", server.url, later).stderr
    assert again.returncode == 1, again.stderr
    assert "no invite for gina@keep.io" in again.stderr
    assert both.returncode == 2, both.stderr


@pytest.mark.parametrize(
    ("left", "shown"),
    [
        (timedelta(days=2, hours=23, minutes=59), "pending, expires in 2d 23h"),
        (timedelta(days=1, seconds=30), "pending, expires in 1d"),
        (timedelta(hours=5, minutes=10, seconds=59), "pending, expires in 5h 10m"),
        (timedelta(seconds=20), "pending, expires in 1m"),
        (timedelta(seconds=-20), "pending, expires in 1m"),  # the server's clock decides
    ],
)
def test_a_pending_invites_state_says_how_long_it_has_left(left: timedelta, shown: str) -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    invite = {"state": "pending", "expires_at": (now + left).isoformat()}
    assert state_words(invite, now) == shown
    assert state_words({**invite, "state": "expired"}, now) == "expired"


def test_a_grant_to_someone_who_has_not_joined_yet_says_so(
    server: TeamServer, tmp_path: Path
) -> None:
    """It said "no account or token" with a hint to invite them, who were invited already."""
    alice, work = _founder(server, tmp_path, "alice@early.io")
    _invite(alice, work, "frank@early.io", "--role", "read", "--project", "shop")

    early = _cli(alice, work, "member", "grant", "frank@early.io", "read", "--project", "shop")
    unknown = _cli(alice, work, "member", "grant", "nobody@early.io", "read", "--project", "shop")

    assert early.returncode == 1, early.stderr
    said = "frank@early.io has not accepted their invite yet: there is no account to grant to"
    assert said in early.stderr, early.stderr
    assert "once they have joined (envkeep join URL CODE), run the grant again" in early.stderr
    assert "no account or token 'nobody@early.io'" in unknown.stderr, unknown.stderr


def test_an_invite_gives_only_what_its_maker_still_holds(
    server: TeamServer, tmp_path: Path
) -> None:
    """An invite made by an admin who was removed, or whose role was lowered, since is
    withdrawn then: an invite, as a token, holds only what its maker holds (one whose maker
    lost it otherwise, a token that expired, is refused when accepted: below)."""
    alice, work = _founder(server, tmp_path, "alice@back.io")
    mallory, nina = tmp_path / "mallory", tmp_path / "nina"
    for home, email in ((mallory, "mallory@back.io"), (nina, "nina@back.io")):
        _join(server, home, work, _invite(alice, work, email, "--role", "admin"), email)
    back_door = _invite(mallory, work, "m2@evil.io", "--role", "admin")
    side_door = _invite(mallory, work, "m3@evil.io", "--role", "read", "--project", "shop")
    by_nina = _invite(nina, work, "olga@back.io", "--role", "write", "--project", "shop")

    removed = _cli(alice, work, "member", "remove", "mallory@back.io", "--yes")
    lowered = _cli(alice, work, "member", "grant", "nina@back.io", "read", "--yes")

    assert removed.returncode == 0, removed.stderr
    assert "and 2 invites they made (to m2@evil.io, m3@evil.io)" in removed.stderr
    assert lowered.returncode == 0, lowered.stderr
    assert _invites(alice, work) == {}  # withdrawn with the roles that backed them
    for code, email in (
        (back_door, "m2@evil.io"),
        (side_door, "m3@evil.io"),
        (by_nina, "olga@back.io"),
    ):
        assert "unknown invite code" in _join_fails(server, tmp_path, work, code, email)
    [event] = json.loads(_ok(alice, work, "audit", "--action", "member.remove", "--json"))
    assert json.loads(event["details"])["their_invites_withdrawn"] == 2


def test_member_list_json_labels_each_member_as_grant_and_token_list_name_them(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = _founder(server, tmp_path, "alice@label.io")
    _ok(alice, work, "token", "create", "deploy", "--project", "shop", "--env", "dev")
    tokens = json.loads(_ok(alice, work, "token", "list", "--json"))

    members = json.loads(_ok(alice, work, "member", "list", "--json"))

    labels = {m["label"]: m["principal"]["kind"] for m in members if m["kind"] == "member"}
    assert labels == {"alice@label.io": "user", "deploy": "service"}
    assert {t["label"] for t in tokens} == {"deploy"}


def test_inviting_again_replaces_the_pending_invite_to_that_scope(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = _founder(server, tmp_path, "alice@again.io")
    first = _invite(alice, work, "bob@again.io", "--role", "read", "--project", "shop")
    other_scope = _invite(alice, work, "bob@again.io", "--role", "read")

    again = _cli(alice, work, "member", "invite", "bob@again.io", "--role", "write", "-p", "shop")

    assert again.returncode == 0, again.stderr
    assert "it replaces the earlier invite for bob@again.io there" in again.stderr
    listed = [
        (i["role"], i["project"])
        for i in json.loads(_ok(alice, work, "member", "list", "--json"))
        if i["kind"] == "invite"
    ]
    assert sorted(listed, key=str) == sorted([("write", "shop"), ("read", None)], key=str)
    assert "unknown invite code" in _join_fails(server, tmp_path, work, first, "bob@again.io")
    assert other_scope.startswith("ek_inv_")


def test_an_invite_made_by_a_token_joins_nobody_once_the_token_expired(
    server: TeamServer, tmp_path: Path
) -> None:
    from envkeep.client.token_keys import parse_token
    from envkeep.store.models import SessionToken

    alice, work = _founder(server, tmp_path, "alice@tok.io")
    made = _ok(alice, work, "token", "create", "ops", "--role", "admin")
    token = made.strip().splitlines()[0]
    as_token = {"ENVKEEP_TOKEN": token, "ENVKEEP_SERVER": server.url}
    live = _cli(
        tmp_path / "ci", work, "member", "invite", "dan@tok.io", "--role", "read", **as_token
    )
    ended = _cli(
        tmp_path / "ci", work, "member", "invite", "eve@tok.io", "--role", "read", **as_token
    )
    assert live.returncode == 0, live.stderr
    assert ended.returncode == 0, ended.stderr
    _join(server, tmp_path / "dan", work, live.stdout.strip(), "dan@tok.io")  # while it lives

    engine = open_engine(server.database)
    with Session(engine) as session, session.begin():
        session.execute(
            update(SessionToken)
            .where(SessionToken.principal_id == parse_token(token).principal_id)
            .values(expires_at=datetime.now(UTC) - timedelta(hours=1))
        )
    engine.dispose()

    said = _join_fails(server, tmp_path, work, ended.stdout.strip(), "eve@tok.io")
    assert "the token that made this invite has ended" in said
