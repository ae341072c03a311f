"""Members on a real team server: grant seals keys, revoke rotates them, and a removed member's
saved credentials cannot decrypt anything written after the removal."""

from __future__ import annotations

import json
import tomllib
import uuid
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from envkeep import crypto
from envkeep.client.identity import load_record, unlock
from envkeep.core.errors import IntegrityError
from envkeep.settings import load_settings
from envkeep.store.engine import open_engine
from envkeep.store.models import DataKeyShare, Environment, Secret, SecretVersion
from tests.server import TeamServer, start_server
from tests.server import cli as _cli
from tests.server import cli_ok as _process_ok
from tests.server import join as _join
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("members"))
    yield running
    running.stop()


def _invite_and_join(
    server: TeamServer, inviter: Path, home: Path, work: Path, email: str, *role: str
) -> None:
    """``inviter`` invites ``email`` (with ``role``: --role ROLE [--project P [--env E]]), who
    joins with the code."""
    code = _ok(inviter, work, "member", "invite", email, *role).strip()
    _join(server, home, work, code, email)


def _shop_admin(server: TeamServer, root: Path, email: str, *variables: str) -> tuple[Path, Path]:
    """(home, project dir) of a new admin who made project ``shop`` and set ``variables`` in
    its staging environment."""
    home, work = root / "admin", root / "work"
    work.mkdir()
    _join(server, home, work, server.invite(email), email)
    _ok(home, work, "init", "shop")
    if variables:
        _ok(home, work, "set", *variables, "--env", "staging")
    return home, work


def test_grant_shares_keys_and_revoke_locks_out_even_saved_credentials(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, bob, work = tmp_path / "alice", tmp_path / "bob", tmp_path / "work"
    work.mkdir()
    _join(server, alice, work, server.invite("alice@x.io"), "alice@x.io")
    _ok(alice, work, "init", "shop")
    _ok(alice, work, "set", "DB=first", "--env", "staging")
    code = _ok(alice, work, "member", "invite", "bob@x.io", "--role", "read", "--project", "shop")
    _join(server, bob, work, code.strip(), "bob@x.io")
    assert _cli(bob, work, "get", "DB", "--env", "staging").returncode == 4  # no key share yet
    _ok(alice, work, "member", "grant", "bob@x.io", "read", "--project", "shop")
    assert _ok(bob, work, "get", "DB", "--env", "staging") == "first\n"
    read_only = _cli(bob, work, "set", "DB=mine", "--env", "staging")
    assert read_only.returncode == 4
    assert "you need the write role on environment shop/staging (you have: read there)" in (
        read_only.stderr
    )

    _ok(alice, work, "member", "revoke", "--yes", "bob@x.io", "--project", "shop")
    _ok(alice, work, "set", "DB=after-removal", "--env", "staging")
    assert _cli(bob, work, "get", "DB", "--env", "staging").returncode == 4

    # Bob kept his private keys and steals the whole database: still nothing after removal.
    settings = load_settings(
        {"ENVKEEP_HOME": str(bob / "servers" / server.url.split("://")[1].replace(":", "_"))}
    )
    record = load_record(settings)
    assert record is not None
    keys = unlock(settings, record, None).keys
    engine = open_engine(server.database)
    with Session(engine) as session:
        env = session.scalars(select(Environment).where(Environment.name == "staging")).one()
        assert env.key_version == 2
        mine = session.scalars(
            select(DataKeyShare).where(DataKeyShare.recipient_id == record.principal_id)
        ).all()
        assert {s.key_version for s in mine if s.environment_id == env.id} == {1}
        current = session.execute(
            select(SecretVersion)
            .join(Secret, Secret.id == SecretVersion.secret_id)
            .where(Secret.environment_id == env.id, SecretVersion.version == Secret.current_version)
        ).scalar_one()
        share = next(s for s in mine if s.environment_id == env.id)
        sharer = _principal_keys(session, share.sharer_id)
    engine.dispose()
    old_dek = crypto.open_share(
        share.sealed,
        env_id=env.id,
        key_version=1,
        recipient_id=record.principal_id,
        recipient=keys,
        sharer=sharer,
    )
    assert current.key_version == 2
    aad = crypto.field_aad(
        env_id=env.id,
        scope="shared",
        secret_id=current.secret_id,
        version=current.version,
        key_version=2,
        field="value",
    )
    with pytest.raises(IntegrityError):
        crypto.open_envelope(old_dek, current.value_ct or b"", aad)


def _with_project_admin(
    server: TeamServer, root: Path, owner: str, lead: str
) -> tuple[Path, Path, Path]:
    """(alice, bob, project dir): Alice, the workspace's admin, made project shop and set DB
    in staging; Bob holds admin on project shop only, not on the workspace."""
    alice, bob, work = root / "alice", root / "bob", root / "work"
    work.mkdir()
    _join(server, alice, work, server.invite(owner), owner)
    _ok(alice, work, "init", "shop")
    _ok(alice, work, "set", "DB=first", "--env", "staging")
    code = _ok(alice, work, "member", "invite", lead, "--role", "admin", "--project", "shop")
    _join(server, bob, work, code.strip(), lead)
    _ok(alice, work, "member", "grant", lead, "admin", "--project", "shop")
    return alice, bob, work


def test_a_project_admin_rotates_and_revokes_its_token_and_the_keys_it_could_read_rotate(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, bob, work = _with_project_admin(server, tmp_path, "owner@y.io", "lead@y.io")
    ci = tmp_path / "ci"
    create = ("token", "create", "ci", "--project", "shop", "--env", "staging", "--role", "read")
    _ok(alice, work, "token", "create", "deploy", "--role", "read")  # workspace-wide
    _ok(bob, work, *create)

    listed = json.loads(_ok(bob, work, "token", "list", "--json"))
    rotated = _cli(bob, work, "token", "rotate", "ci")
    token = rotated.stdout.strip()
    seen = _ok(ci, work, "get", "DB", "--env", "staging", ENVKEEP_TOKEN=token)
    revoked = _cli(bob, work, "token", "revoke", "ci", "--yes")

    assert [t["label"] for t in listed] == ["ci"]  # his project's token, not the workspace's
    assert rotated.returncode == 0, rotated.stderr
    assert seen == "first\n"
    assert revoked.returncode == 0, revoked.stderr
    assert "shop/staging" in revoked.stderr
    events = json.loads(_ok(alice, work, "audit", "--json"))
    rotations = [e["target"] for e in events if e["action"] == "environment.rotate_key"]
    assert rotations == ["shop/staging"] * 2  # after each: old keys open nothing written now


def test_a_project_admin_invites_grants_and_revokes_members_of_its_project(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, bob, work = _with_project_admin(server, tmp_path, "founder@z.io", "pm@z.io")
    carol = tmp_path / "carol"
    # Everything below is Bob's, within project shop.
    code = _ok(bob, work, "member", "invite", "new@z.io", "--role", "read", "--project", "shop")
    _join(server, carol, work, code.strip(), "new@z.io")
    _ok(bob, work, "member", "grant", "new@z.io", "read", "--project", "shop")
    assert _ok(carol, work, "get", "DB", "--env", "staging") == "first\n"
    before = _ok(alice, work, "member", "list", "--json")
    at_workspace = _cli(bob, work, "member", "grant", "new@z.io", "read")  # not his scope
    assert at_workspace.returncode == 4
    assert "you need the admin role on the workspace to grant a role there" in at_workspace.stderr
    assert _ok(alice, work, "member", "list", "--json") == before  # nothing granted
    revoked = _cli(bob, work, "member", "revoke", "--yes", "new@z.io", "--project", "shop")

    assert revoked.returncode == 0, revoked.stderr
    assert "shop/staging" in revoked.stderr
    _ok(bob, work, "set", "DB=after", "--env", "staging")
    assert _cli(carol, work, "get", "DB", "--env", "staging").returncode == 4
    assert _ok(alice, work, "get", "DB", "--env", "staging") == "after\n"


def _principal_keys(session: Session, principal_id: str) -> crypto.PublicKeys:
    from envkeep.store.models import Principal

    found = session.get(Principal, principal_id)
    assert found is not None
    return crypto.PublicKeys(found.encryption_public, found.signing_public)


def test_members_need_a_team_server(tmp_path: Path) -> None:
    _ok(tmp_path, tmp_path, "init", "solo")
    done = _cli(tmp_path, tmp_path, "member", "list")
    rotated = _cli(tmp_path, tmp_path, "env", "rotate-key", "dev")
    assert done.returncode == 2
    assert "team server" in done.stderr
    assert rotated.returncode == 2
    assert "on the embedded store you are the only one who holds it" in rotated.stderr
    assert "envkeep identity protect" in rotated.stderr


def test_a_service_token_reads_only_its_scope_and_stops_when_revoked(
    server: TeamServer, tmp_path: Path
) -> None:
    admin, work = _shop_admin(server, tmp_path, "ops@x.io", "API_KEY=staging-key")
    ci = tmp_path / "ci"
    _ok(admin, work, "set", "API_KEY=dev-key", "--env", "dev")
    token = _ok(
        admin,
        work,
        "token",
        "create",
        "ci",
        "--project",
        "shop",
        "--env",
        "staging",
        "--role",
        "read",
        "--expires",
        "30d",
    ).strip()
    assert token.startswith("ek_sa_")
    as_ci = {"ENVKEEP_TOKEN": token}
    assert _ok(ci, work, "get", "API_KEY", "--env", "staging", **as_ci) == "staging-key\n"
    assert _cli(ci, work, "get", "API_KEY", "--env", "dev", **as_ci).returncode == 4
    assert _cli(ci, work, "set", "X=1", "--env", "staging", **as_ci).returncode == 4
    listed = _ok(admin, work, "token", "list", "--json")
    assert '"label": "ci"' in listed
    assert token not in listed
    _ok(admin, work, "token", "revoke", "ci", "--yes")
    assert _cli(ci, work, "get", "API_KEY", "--env", "staging", **as_ci).returncode == 4
    assert _ok(admin, work, "get", "API_KEY", "--env", "staging") == "staging-key\n"


def test_revoking_a_token_reads_and_rotates_only_the_environments_it_could_read(
    server: TeamServer, tmp_path: Path
) -> None:
    admin, work = _shop_admin(server, tmp_path, "scoped@x.io", "API_KEY=staging-key")
    _ok(admin, work, "set", "API_KEY=dev-key", "--env", "dev")
    create = ("token", "create", "ci", "--project", "shop", "--env", "staging", "--role", "read")
    _ok(admin, work, *create)
    before = json.loads(_ok(admin, work, "audit", "--json"))
    revoked = _cli(admin, work, "token", "revoke", "ci", "--yes")
    assert revoked.returncode == 0, revoked.stderr
    assert "shop/staging" in revoked.stderr
    assert "shop/dev" not in revoked.stderr
    after = json.loads(_ok(admin, work, "audit", "--json"))
    seen = {event["seq"] for event in before}
    reads = sorted(
        event["target"]
        for event in after
        if event["seq"] not in seen and event["action"] == "secrets.read"
    )
    assert reads == ["shop/staging"]  # dev was neither read nor rotated
    assert _ok(admin, work, "get", "API_KEY", "--env", "dev") == "dev-key\n"
    assert _ok(admin, work, "get", "API_KEY", "--env", "staging") == "staging-key\n"


def test_a_rotated_token_replaces_the_old_one_which_stops_at_once_and_reads_nothing_new(
    server: TeamServer, tmp_path: Path
) -> None:
    from envkeep.client.token_keys import parse_token, wrap_key
    from envkeep.store.models import Principal

    admin, work = _shop_admin(server, tmp_path, "rotor@x.io", "API_KEY=before")
    ci = tmp_path / "ci"
    create = ("token", "create", "ci", "--project", "shop", "--env", "staging", "--expires", "30d")
    old = _ok(admin, work, *create).strip()
    rotated = _cli(admin, work, "token", "rotate", "ci")
    assert rotated.returncode == 0, rotated.stderr
    new = rotated.stdout.strip()
    assert new.startswith("ek_sa_")
    assert new != old
    assert "shop/staging" in rotated.stderr  # its data key was rotated too
    assert new not in rotated.stderr

    assert _cli(ci, work, "get", "API_KEY", "--env", "staging", ENVKEEP_TOKEN=old).returncode == 4
    assert _ok(ci, work, "get", "API_KEY", "--env", "staging", ENVKEEP_TOKEN=new) == "before\n"
    assert _cli(ci, work, "get", "API_KEY", "--env", "dev", ENVKEEP_TOKEN=new).returncode == 4
    listed = json.loads(_ok(admin, work, "token", "list", "--json"))
    assert [(t["label"], t["role"], t["environment"], t["ended"]) for t in listed] == [
        ("ci", "read", "staging", "rotated out"),  # the old one, listed as such
        ("ci", "read", "staging", None),
    ]
    assert listed[1]["expires_at"] is not None  # the old token's 30 days, from now
    _ok(admin, work, "set", "API_KEY=after", "--env", "staging")
    assert _ok(ci, work, "get", "API_KEY", "--env", "staging", ENVKEEP_TOKEN=new) == "after\n"

    # The old token's holder unwraps its keys from the database: nothing written since opens.
    parsed = parse_token(old)
    old_id, secret = parsed.principal_id, parsed.secret
    engine = open_engine(server.database)
    with Session(engine) as session:
        account = session.get(Principal, old_id)
        assert account is not None
        assert account.disabled_at is not None
        keys = crypto.unwrap_private_keys(account.wrapped_private_keys or b"", wrap_key(secret))
        [share] = session.scalars(select(DataKeyShare).where(DataKeyShare.recipient_id == old_id))
        env = session.get(Environment, share.environment_id)
        assert env is not None
        assert (env.name, share.key_version, env.key_version) == ("staging", 1, 2)
        current = session.execute(
            select(SecretVersion)
            .join(Secret, Secret.id == SecretVersion.secret_id)
            .where(Secret.environment_id == env.id, SecretVersion.version == Secret.current_version)
        ).scalar_one()
        sharer = _principal_keys(session, share.sharer_id)
    engine.dispose()
    old_dek = crypto.open_share(
        share.sealed,
        env_id=env.id,
        key_version=share.key_version,
        recipient_id=old_id,
        recipient=keys,
        sharer=sharer,
    )
    aad = crypto.field_aad(
        env_id=env.id,
        scope="shared",
        secret_id=current.secret_id,
        version=current.version,
        key_version=current.key_version,
        field="value",
    )
    assert current.key_version == env.key_version
    with pytest.raises(IntegrityError):
        crypto.open_envelope(old_dek, current.value_ct or b"", aad)


def test_rotating_a_token_granted_a_second_role_keeps_both(
    server: TeamServer, tmp_path: Path
) -> None:
    admin, work = _shop_admin(server, tmp_path, "twice@x.io", "API_KEY=staging-value")
    _ok(admin, work, "set", "API_KEY=dev-value", "--env", "dev")
    ci = tmp_path / "ci"
    old = _ok(admin, work, "token", "create", "ci", "--project", "shop", "--env", "staging")
    # named as `member list` shows it: "token ci" is the token ci
    _ok(admin, work, "member", "grant", "token ci", "write", "--project", "shop", "--env", "dev")

    rotated = _cli(admin, work, "token", "rotate", "ci")

    assert rotated.returncode == 0, rotated.stderr
    new = rotated.stdout.strip()
    assert "shop/staging" in rotated.stderr, rotated.stderr  # both keys rotated
    assert "shop/dev" in rotated.stderr, rotated.stderr
    listed = json.loads(_ok(admin, work, "token", "list", "--json"))
    for ended in (None, "rotated out"):  # the new one, and the old one with what it held
        assert sorted(
            (t["role"], t["project"], t["environment"]) for t in listed if t["ended"] == ended
        ) == [("read", "shop", "staging"), ("write", "shop", "dev")]
    read = ("get", "API_KEY", "--env")
    assert _ok(ci, work, *read, "staging", ENVKEEP_TOKEN=new) == "staging-value\n"
    assert _ok(ci, work, *read, "dev", ENVKEEP_TOKEN=new) == "dev-value\n"
    _ok(ci, work, "set", "API_KEY=from-ci", "--env", "dev", ENVKEEP_TOKEN=new)
    assert _ok(admin, work, *read, "dev") == "from-ci\n"
    refused = _cli(ci, work, "set", "API_KEY=no", "--env", "staging", ENVKEEP_TOKEN=new)
    assert refused.returncode == 4, refused.stderr  # still read-only there
    assert _cli(ci, work, *read, "dev", ENVKEEP_TOKEN=old.strip()).returncode == 4
    # The audit names who acted: the admin by email, the token by its name.
    writes = json.loads(_ok(admin, work, "audit", "--action", "secrets.write", "--json"))
    assert {w["principal"] for w in writes[:-1]} == {"twice@x.io"}
    assert writes[-1]["principal"] == "token ci"
    assert " token ci " in _ok(admin, work, "audit", "--action", "secrets.write")


def test_expires_never_makes_a_token_that_does_not_expire(
    server: TeamServer, tmp_path: Path
) -> None:
    admin, work = _shop_admin(server, tmp_path, "forever@x.io")
    _ok(admin, work, "token", "create", "ci", "--project", "shop", "--expires", "30d")
    _ok(admin, work, "token", "create", "bot", "--project", "shop", "--expires", "never")
    rotated = _cli(admin, work, "token", "rotate", "ci", "--expires", "never")
    assert rotated.returncode == 0, rotated.stderr
    listed = json.loads(_ok(admin, work, "token", "list", "--json"))
    live = [t for t in listed if not t["revoked"]]  # not the rotated-out ci
    assert sorted((t["label"], t["expires_at"]) for t in live) == [("bot", None), ("ci", None)]
    wrong = _cli(admin, work, "token", "rotate", "ci", "--expires", "forever")
    assert wrong.returncode == 2
    assert "e.g. 30d, 12h, 90m or never" in wrong.stderr


def test_a_revoked_or_unknown_token_cannot_be_rotated(server: TeamServer, tmp_path: Path) -> None:
    admin, work = _shop_admin(server, tmp_path, "ender@x.io")
    _ok(admin, work, "token", "create", "ci", "--project", "shop")
    _ok(admin, work, "token", "revoke", "ci", "--yes")
    revoked = _cli(admin, work, "token", "rotate", "ci")
    assert (revoked.returncode, revoked.stdout) == (2, "")
    assert "was revoked" in revoked.stderr
    unknown = _cli(admin, work, "token", "rotate", "nope")
    assert unknown.returncode != 0
    assert "no token named 'nope'" in unknown.stderr


def test_a_token_cannot_exceed_its_creators_rights(server: TeamServer, tmp_path: Path) -> None:
    boss, reader, work = tmp_path / "boss", tmp_path / "reader", tmp_path / "work"
    work.mkdir()
    _join(server, boss, work, server.invite("boss@x.io"), "boss@x.io")
    _ok(boss, work, "init", "shop")
    code = _ok(boss, work, "member", "invite", "reader@x.io", "--role", "read", "--project", "shop")
    _join(server, reader, work, code.strip(), "reader@x.io")
    _ok(boss, work, "member", "grant", "reader@x.io", "read", "--project", "shop")
    denied = _cli(reader, work, "token", "create", "sneaky", "--project", "shop", "--role", "write")
    assert denied.returncode == 4
    assert _ok(reader, work, "token", "create", "fine", "--project", "shop", "--role", "read")


def test_a_server_that_swaps_an_invitees_keys_is_caught_by_the_inviter(
    server: TeamServer, tmp_path: Path
) -> None:
    from envkeep.store.models import Principal

    carol, dave, work = tmp_path / "carol", tmp_path / "dave", tmp_path / "work"
    work.mkdir()
    _join(server, carol, work, server.invite("carol@x.io"), "carol@x.io")
    _ok(carol, work, "init", "shop")
    code = _ok(carol, work, "member", "invite", "dave@x.io", "--role", "read", "--project", "shop")
    _join(server, dave, work, code.strip(), "dave@x.io")
    engine = open_engine(server.database)
    with Session(engine) as session, session.begin():  # the server lies about Dave's key
        dave_row = session.scalars(select(Principal).where(Principal.name == "dave@x.io")).one()
        dave_row.encryption_public = crypto.generate_keys().public().encryption
    engine.dispose()
    refused = _cli(carol, work, "member", "grant", "dave@x.io", "read", "--project", "shop")
    assert refused.returncode == 1
    assert "not the ones they registered" in refused.stderr


def test_a_server_that_withholds_an_invitees_proof_cannot_have_its_keys_sealed_to(
    server: TeamServer, tmp_path: Path
) -> None:
    """A server that swaps an invitee's keys can leave the invite's proof out, as if it had
    made the invite's secret itself: the inviter's machine made that invite, so keys no proof
    of it covers are not sealed to until they are compared (`member verify`)."""
    from envkeep.store.models import Invite, Principal

    gina, hal, work = tmp_path / "gina", tmp_path / "hal", tmp_path / "work"
    work.mkdir()
    _join(server, gina, work, server.invite("gina@x.io"), "gina@x.io")
    _ok(gina, work, "init", "shop")
    _invite_and_join(server, gina, hal, work, "hal@x.io", "--role", "read", "--project", "shop")
    engine = open_engine(server.database)
    with Session(engine) as session, session.begin():  # the server's lie, its proof left out
        for invite in session.scalars(select(Invite).where(Invite.email == "hal@x.io")):
            invite.key_proof = None
        hal_row = session.scalars(select(Principal).where(Principal.name == "hal@x.io")).one()
        hal_keys = crypto.PublicKeys(hal_row.encryption_public, hal_row.signing_public)
        evil = crypto.generate_keys().public()
        hal_row.encryption_public, hal_row.signing_public = evil.encryption, evil.signing
    refused = _cli(gina, work, "member", "grant", "hal@x.io", "read", "--project", "shop")
    with Session(engine) as session, session.begin():  # hal's own keys, still no proof
        hal_row = session.scalars(select(Principal).where(Principal.name == "hal@x.io")).one()
        hal_row.encryption_public, hal_row.signing_public = hal_keys.encryption, hal_keys.signing
    engine.dispose()
    unverified = _cli(gina, work, "member", "grant", "hal@x.io", "read", "--project", "shop")

    for done in (refused, unverified):
        assert done.returncode == 1, done.stderr
        assert "shows no proof from that invite" in done.stderr
        assert "envkeep member verify hal@x.io --fingerprint" in done.stderr
    assert evil.fingerprint() in refused.stderr
    assert _cli(hal, work, "list", "--env", "dev").returncode != 0  # nothing was sealed
    _ok(gina, work, "member", "verify", "hal@x.io", "--fingerprint", hal_keys.fingerprint())
    _ok(gina, work, "member", "grant", "hal@x.io", "read", "--project", "shop")
    _ok(hal, work, "list", "--env", "dev")


def test_a_server_that_swaps_keys_cannot_prove_them_with_what_it_was_sent(
    server: TeamServer, tmp_path: Path
) -> None:
    """The invite's secret stays with the inviter and the invitee: the server stores, and at
    the join is sent, only a key derived from it, under which no proof it makes for keys of
    its own passes the inviter's check, whichever way it makes it. A proof made as an envkeep
    before 0.2 made it proves nothing either way: the grant goes on as for keys first seen."""
    from envkeep.app import credentials
    from envkeep.client.invite_codes import split_invite_code
    from envkeep.store.models import Invite, Principal

    erin, frank, work = tmp_path / "erin", tmp_path / "frank", tmp_path / "work"
    work.mkdir()
    _join(server, erin, work, server.invite("erin@x.io"), "erin@x.io")
    _ok(erin, work, "init", "shop")
    code = _ok(erin, work, "member", "invite", "frank@x.io", "--role", "read", "--project", "shop")
    assert code.startswith("ek_inv_v2_")
    parsed = split_invite_code(code.strip())
    invite_id, secret = parsed.invite_id, parsed.secret
    _join(server, frank, work, code.strip(), "frank@x.io")
    sent = crypto.invite_accept_key(secret)  # all the server ever got of the secret

    evil = crypto.generate_keys().public()
    engine = open_engine(server.database)
    try:
        with Session(engine) as session:
            invite = session.get(Invite, invite_id)
            assert invite is not None
            assert invite.key_proof
            assert invite.secret_hash == credentials.token_hash(sent)
            assert invite.secret_hash != credentials.token_hash(secret)
            real_proof = invite.key_proof
            row = session.scalars(select(Principal).where(Principal.name == "frank@x.io")).one()
            frank_keys = crypto.PublicKeys(row.encryption_public, row.signing_public)
        forged = (
            crypto.invite_key_proof(sent, invite_id, "frank@x.io", evil),
            crypto.legacy_invite_key_proof(sent, evil),
        )
        for proof in forged:
            with Session(engine) as session, session.begin():
                frank_row = session.scalars(
                    select(Principal).where(Principal.name == "frank@x.io")
                ).one()
                frank_row.encryption_public, frank_row.signing_public = (
                    evil.encryption,
                    evil.signing,
                )
                session.get(Invite, invite_id).key_proof = proof  # type: ignore[union-attr]
            refused = _cli(erin, work, "member", "grant", "frank@x.io", "read", "--project", "shop")
            assert refused.returncode == 1, refused.stderr
            assert "not the ones they registered" in refused.stderr
        # Frank's own keys, with a proof as an envkeep before 0.2 made it (under the secret,
        # which it sent the server): not a proof, so the keys are as unproven as without one,
        # and erin made that invite: they are compared before anything is sealed to them.
        with Session(engine) as session, session.begin():
            frank_row = session.scalars(
                select(Principal).where(Principal.name == "frank@x.io")
            ).one()
            frank_row.encryption_public = frank_keys.encryption
            frank_row.signing_public = frank_keys.signing
            session.get(Invite, invite_id).key_proof = (  # type: ignore[union-attr]
                crypto.legacy_invite_key_proof(secret, frank_keys)
            )
        unproven = _cli(erin, work, "member", "grant", "frank@x.io", "read", "--project", "shop")
        assert unproven.returncode == 1, unproven.stderr
        assert "shows no proof from that invite" in unproven.stderr
        assert real_proof == crypto.invite_key_proof(secret, invite_id, "frank@x.io", frank_keys)
    finally:
        engine.dispose()


def test_a_token_reads_without_a_project_file_given_the_project_and_server(
    server: TeamServer, tmp_path: Path
) -> None:
    admin, work = _shop_admin(server, tmp_path, "bare-ops@x.io", "API_KEY=staging-key", "PORT=8080")
    ci, bare = tmp_path / "ci", tmp_path / "bare"
    bare.mkdir()  # a CI job or a container: no checkout, no envkeep.toml
    token = _ok(
        admin, work, "token", "create", "ci", "--project", "shop", "--env", "staging"
    ).strip()
    as_ci = {"ENVKEEP_TOKEN": token, "ENVKEEP_SERVER": server.url}
    # The token's one project stands for ENVKEEP_PROJECT (tests/test_token_scope_defaults.py).
    implied = _process_ok(ci, bare, "get", "API_KEY", "--env", "staging", **as_ci)
    assert implied == "staging-key\n"
    named = {**as_ci, "ENVKEEP_PROJECT": "shop"}
    assert _process_ok(ci, bare, "get", "API_KEY", "--env", "staging", **named) == "staging-key\n"
    exported = _process_ok(ci, bare, "export", "--env", "staging", "--format", "json", **named)
    assert '"PORT": "8080"' in exported
    echo = ("sh", "-c", "echo $API_KEY")
    ran = _process_ok(ci, bare, "run", "--env", "staging", "--", *echo, **named)
    assert ran == "staging-key\n"
    assert not (bare / "envkeep.toml").exists()


def test_init_in_a_teammates_clone_says_the_project_is_set_up_or_who_can_give_access(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, bob, carol, dave, work = (
        tmp_path / n for n in ("alice", "bob", "carol", "dave", "work")
    )
    work.mkdir()
    _join(server, alice, work, server.invite("alice@init.io"), "alice@init.io")
    _ok(alice, work, "init", "shop")
    for who, home, scope in (
        ("bob@init.io", bob, ("--project", "shop")),
        ("carol@init.io", carol, ("--project", "shop")),
        ("dave@init.io", dave, ("--project", "shop", "--env", "dev")),
    ):
        code = _ok(alice, work, "member", "invite", who, "--role", "read", *scope)
        _join(server, home, work, code.strip(), who)
        _ok(alice, work, "member", "grant", who, "read", *scope)
    _ok(alice, work, "member", "revoke", "--yes", "carol@init.io", "--project", "shop")
    before = (work / "envkeep.toml").read_bytes()

    member = _cli(bob, work, "init")
    of_one_environment = _cli(dave, work, "init")
    outsider = _cli(carol, work, "init")

    set_up = f"project 'shop' of {work / 'envkeep.toml'} is set up already; nothing to do"
    for teammate in (member, of_one_environment):
        assert teammate.returncode == 0, teammate.stderr  # onboarding scripts run it every time
        assert set_up in teammate.stderr.splitlines()  # after a first-seen signer's note
    assert outsider.returncode == 4, outsider.stderr
    # Carol holds no role in the workspace envkeep.toml names any more: not a member of it.
    refused, hint = outsider.stderr.splitlines()
    assert refused == (
        f"error: {work / 'envkeep.toml'} puts project 'shop' in workspace"
        f" {tomllib.loads(before.decode())['workspace']} on {server.url}, which you are not a"
        " member of"
    )
    assert hint.startswith("hint: ask one of its admins for a role (a former member gets one")
    assert (work / "envkeep.toml").read_bytes() == before


def test_an_existing_account_joins_a_second_workspace_by_accepting_its_invite(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = _shop_admin(server, tmp_path, "alice@two.io", "DB=first")
    bob = tmp_path / "bob"
    _join(server, bob, work, server.invite("bob@two.io"), "bob@two.io")  # his own workspace

    stranger = _cli(alice, work, "member", "grant", "bob@two.io", "read", "--project", "shop")
    assert stranger.returncode == 1, stranger.stderr  # another tenant's account: not found
    assert "no account or token 'bob@two.io'" in stranger.stderr

    code = _ok(alice, work, "member", "invite", "bob@two.io", "--role", "read", "--project", "shop")
    joined = _cli(bob, work, "join", server.url, code.strip())
    assert joined.returncode == 0, joined.stderr
    assert "bob@two.io joined workspace" in joined.stderr
    _ok(alice, work, "member", "grant", "bob@two.io", "read", "--project", "shop")

    assert _ok(bob, work, "get", "DB", "--env", "staging") == "first\n"
    again = _cli(bob, work, "join", server.url, code.strip())
    assert again.returncode == 4, again.stderr  # as for a new account: the code lets no one in
    assert "used already" in again.stderr


def test_a_code_that_lets_nobody_in_is_refused_alike_for_a_new_account_and_a_logged_in_one(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = _shop_admin(server, tmp_path, "alice@alike.io")
    bob = tmp_path / "bob"  # an account already, logged in to the server
    _join(server, bob, work, server.invite("bob@alike.io"), "bob@alike.io")
    used = _ok(alice, work, "member", "invite", "bob@alike.io", "--role", "read").strip()
    _process_ok(bob, work, "join", server.url, used)
    unknown = f"ek_inv_{uuid.uuid4()}_nope"

    def both(code: str) -> list[tuple[int, str]]:
        new = _cli(
            tmp_path / "new",
            work,
            *("join", server.url, code, "--email", "bob@alike.io"),
            ENVKEEP_PASSPHRASE="a long passphrase",
        )
        logged_in = _cli(bob, work, "join", server.url, code, ENVKEEP_PASSPHRASE="bob passphrase")
        return [(done.returncode, done.stderr) for done in (new, logged_in)]

    said = "error: {}\nhint: ask for a new invite\n"
    assert both(unknown) == [(4, said.format("unknown invite code"))] * 2
    assert both(used) == [(4, said.format("this invite was used already"))] * 2
    other = _ok(alice, work, "member", "invite", "carol@alike.io", "--role", "read").strip()
    assert [(code, text.splitlines()[0]) for code, text in both(other)] == [
        (4, "error: this invite is for another email address than bob@alike.io")
    ] * 2


def test_member_list_shows_whose_keys_are_missing_until_member_seal_seals_them(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = _shop_admin(server, tmp_path, "keys-alice@x.io", "DB=first")
    bob = tmp_path / "bob"
    _invite_and_join(
        server, alice, bob, work, "keys-bob@x.io", "--role", "read", "--project", "shop"
    )
    seal = "envkeep member seal keys-bob@x.io"

    listed = json.loads(_ok(alice, work, "member", "list", "--json"))
    shown = _cli(alice, work, "member", "list")
    refused = _cli(bob, work, "get", "DB", "--env", "staging")

    missing = {m["principal"]["name"]: m["keys_missing"] for m in listed}
    assert missing == {"keys-alice@x.io": 0, "keys-bob@x.io": 3}  # dev, staging and prod
    assert "3 missing" in shown.stdout, shown.stdout
    assert seal in shown.stderr, shown.stderr
    assert refused.returncode == 4, refused.stderr
    assert "envkeep member list" in refused.stderr, refused.stderr
    _ok(alice, work, *seal.split()[1:])
    listed = json.loads(_ok(alice, work, "member", "list", "--json"))
    assert [m["keys_missing"] for m in listed] == [0, 0]
    assert "envkeep member seal" not in _cli(alice, work, "member", "list").stderr
    assert _ok(bob, work, "get", "DB", "--env", "staging") == "first\n"


def test_a_project_admin_cannot_rotate_a_token_holding_a_role_beyond_its_scope(
    server: TeamServer, tmp_path: Path
) -> None:
    owner, work = _shop_admin(server, tmp_path, "scoped-owner@x.io", "API_KEY=v")
    lead = tmp_path / "lead"
    dev_admin = ("admin", "--project", "shop", "--env", "dev")
    invited = _cli(owner, work, "member", "invite", "scoped-lead@x.io", "--role", *dev_admin)
    assert invited.returncode == 0, invited.stderr
    # What it says to run next seals the invite's role, at its scope, with no retyping.
    assert "envkeep member seal scoped-lead@x.io gives them the keys" in invited.stderr
    _join(server, lead, work, invited.stdout.strip(), "scoped-lead@x.io")
    _ok(owner, work, "member", "seal", "scoped-lead@x.io")
    _ok(owner, work, "token", "create", "deploy", "--project", "shop", "--env", "dev")
    _ok(owner, work, "member", "grant", "deploy", "read", "--project", "shop", "--env", "staging")
    before = json.loads(_ok(owner, work, "token", "list", "--json"))

    refused = _cli(lead, work, "token", "rotate", "deploy")

    assert refused.returncode == 4, refused.stderr  # it holds read on staging, beyond dev
    assert json.loads(_ok(owner, work, "token", "list", "--json")) == before
    removed = _cli(owner, work, "member", "remove", "deploy", "--yes")  # it would live on, roleless
    assert removed.returncode == 2, removed.stderr
    assert "envkeep token revoke deploy" in removed.stderr
    assert json.loads(_ok(owner, work, "token", "list", "--json")) == before


def test_a_new_projects_keys_reach_those_whose_workspace_role_opens_it(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, bob, crm = tmp_path / "alice", tmp_path / "bob", tmp_path / "crm"
    crm.mkdir()
    _join(server, alice, crm, server.invite("ws-alice@x.io"), "ws-alice@x.io")
    _invite_and_join(
        server, alice, bob, crm, "ws-bob@x.io", "--role", "read"
    )  # on the whole workspace

    made = _cli(alice, crm, "init", "crm")
    _ok(alice, crm, "set", "TOKEN=crm-secret", "--env", "prod")

    assert made.returncode == 0, made.stderr
    assert "not sealed" not in made.stdout + made.stderr
    assert _ok(bob, crm, "get", "TOKEN", "--env", "prod") == "crm-secret\n"
    listed = json.loads(_ok(alice, crm, "member", "list", "--json"))
    assert {m["principal"]["name"]: m["keys_missing"] for m in listed} == {
        "ws-alice@x.io": 0,
        "ws-bob@x.io": 0,
    }


def test_a_members_refused_request_is_in_the_audit_trail_and_the_chain_holds(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = _shop_admin(server, tmp_path, "deny-alice@x.io", "DB=first")
    bob = tmp_path / "bob"
    _invite_and_join(
        server, alice, bob, work, "deny-bob@x.io", "--role", "read", "--project", "shop"
    )
    _ok(alice, work, "member", "grant", "deny-bob@x.io", "read", "--project", "shop")

    refused = _cli(bob, work, "set", "DB=mine", "--env", "staging")
    events = json.loads(_ok(alice, work, "audit", "--json"))
    verified = _cli(alice, work, "audit", "verify")

    assert refused.returncode == 4, refused.stderr
    denied = [e for e in events if e["outcome"] == "denied"]
    assert len(denied) == 1, denied
    assert denied[0]["action"] == "request.denied"
    assert denied[0]["principal"] == "deny-bob@x.io"
    assert denied[0]["target"] == "shop/staging"
    assert denied[0]["project_id"]
    assert json.loads(denied[0]["details"]) == {
        "method": "POST",
        "route": "/v1/workspaces/{workspace_id}/projects/{project}/environments/{environment}"
        "/secrets",
        "project_id": denied[0]["project_id"],  # shop's, hashed with the rest
        "needed": "write",  # the role the refusal asked for
    }
    assert denied[0]["ip"] == "127.0.0.1"
    assert denied[0]["request_id"]
    assert not [
        e for e in events if e["action"] == "secrets.write" and e["principal"] == "deny-bob@x.io"
    ]
    assert verified.returncode == 0, verified.stderr
    assert _ok(alice, work, "get", "DB", "--env", "staging") == "first\n"


def test_init_names_a_member_it_could_not_seal_to_once_with_every_environment(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, bob, crm = tmp_path / "alice", tmp_path / "bob", tmp_path / "crm"
    crm.mkdir()
    _join(server, alice, crm, server.invite("once-alice@x.io"), "once-alice@x.io")
    _invite_and_join(server, alice, bob, crm, "once-bob@x.io", "--role", "read")
    _ok(alice, crm, "member", "list")  # nothing pinned yet: Alice's invite proves Bob's key
    pins_file = alice / "known_keys.json"
    bob_id = json.loads(_ok(bob, crm, "whoami", "--json"))["principal_id"]
    pins = json.loads(pins_file.read_text()) if pins_file.exists() else {}
    pins[f"{server.url}|{bob_id}"] = "0000 0000"  # as if Bob's key changed since
    pins_file.write_text(json.dumps(pins))

    made = _cli(alice, crm, "init", "crm")

    assert made.returncode == 0, made.stderr
    warnings = [line for line in made.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1, made.stderr
    assert "the keys of 'dev', 'staging', 'prod' were not sealed to once-bob@x.io" in warnings[0]
    assert made.stderr.endswith("then: envkeep member seal once-bob@x.io\n"), made.stderr
    # Followed: Bob's real key compared and pinned, then the hint's command seals him the keys.
    told = " ".join(_ok(bob, crm, "whoami", "--fingerprint").split()[-8:])
    _ok(alice, crm, "member", "verify", "once-bob@x.io", "--fingerprint", told)
    _ok(alice, crm, "set", "LIVE=1", "--env", "dev")
    _ok(alice, crm, "member", "seal", "once-bob@x.io")
    assert _ok(bob, crm, "get", "LIVE", "--env", "dev") == "1\n"


def test_joining_and_logging_in_are_audited_with_the_request_id_and_address(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = _shop_admin(server, tmp_path, "origin-alice@x.io")
    again = tmp_path / "laptop"
    _ok(again, work, "login", server.url, "--email", "origin-alice@x.io",
        ENVKEEP_PASSPHRASE="origin-alice passphrase")  # fmt: skip

    events = json.loads(_ok(alice, work, "audit", "--json"))

    started = [e for e in events if e["action"] in {"invite.accept", "session.login"}]
    assert [e["action"] for e in started] == ["invite.accept", "session.login"]
    for event in started:
        assert event["ip"] == "127.0.0.1", event
        assert event["request_id"], event
    assert started[0]["request_id"] != started[1]["request_id"]


def test_a_project_admin_refused_a_workspace_grant_is_told_it_needs_admin_there(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = _shop_admin(server, tmp_path, "alice@scope.io", "DB=one")
    carol, bob = tmp_path / "carol", tmp_path / "bob"
    _invite_and_join(
        server, alice, carol, work, "carol@scope.io", "--role", "admin", "--project", "shop"
    )
    _invite_and_join(
        server, alice, bob, work, "bob@scope.io", "--role", "read", "--project", "shop"
    )

    refused = _cli(carol, work, "member", "grant", "bob@scope.io", "admin")

    assert refused.returncode == 4, refused.stderr
    assert "you need the admin role on the workspace to grant a role there" in refused.stderr
