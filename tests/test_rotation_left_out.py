"""A key rotation leaves out a reader whose key the caller does not trust, rather than failing:
the revocation that called for it must not leave the revoked one holding the current key. Those
left out are named, with what to do, and get the key by `member verify` then `member seal`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from envkeep import crypto
from envkeep.client.identity import load_record, unlock
from envkeep.core.errors import IntegrityError
from envkeep.settings import load_settings
from envkeep.store.engine import open_engine
from envkeep.store.models import DataKeyShare, Environment, Principal, Secret, SecretVersion
from tests.server import TeamServer, start_server
from tests.server import cli as _cli
from tests.server import join as _join
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("left-out"))
    yield running
    running.stop()


def _invite_and_join(
    server: TeamServer, inviter: Path, home: Path, work: Path, email: str, *role: str
) -> None:
    code = _ok(inviter, work, "member", "invite", email, *role).strip()
    _join(server, home, work, code, email)


def _fingerprint(home: Path, work: Path) -> str:
    shown = _ok(home, work, "whoami", "--fingerprint")
    return shown.rpartition("fingerprint: ")[2].strip()


def test_a_removal_rotates_leaving_out_a_reader_invited_here_but_joined_through_another_admin(
    server: TeamServer, tmp_path: Path
) -> None:
    """Alice invited bob@ (the code never used); Carol, another admin, invited and sealed Bob.
    Alice removes Mallory: the keys rotate without Bob (no proof of Alice's invite covers his
    key), Bob is named with what to do, and Mallory's last key opens nothing written since."""
    alice, carol, bob, mal = (tmp_path / n for n in ("alice", "carol", "bob", "mal"))
    work = tmp_path / "work"
    work.mkdir()
    _join(server, alice, work, server.invite("alice@s1.io"), "alice@s1.io")
    _ok(alice, work, "init", "shop")
    _ok(alice, work, "set", "DB=first", "--env", "dev")
    _invite_and_join(server, alice, carol, work, "carol@s1.io", "--role", "admin")
    _ok(alice, work, "member", "seal", "carol@s1.io")
    _ok(alice, work, "member", "invite", "bob@s1.io", "--role", "read", "--project", "shop")
    _invite_and_join(server, carol, bob, work, "bob@s1.io", "--role", "read", "--project", "shop")
    _ok(carol, work, "member", "seal", "bob@s1.io")
    _invite_and_join(server, alice, mal, work, "mal@s1.io", "--role", "read", "--project", "shop")
    _ok(alice, work, "member", "seal", "mal@s1.io")
    assert _ok(mal, work, "get", "DB", "--env", "dev") == "first\n"

    removed = _cli(alice, work, "member", "remove", "mal@s1.io", "--yes")

    assert removed.returncode == 0, removed.stderr
    assert "not rotated" not in removed.stderr
    for env in ("dev", "staging", "prod"):
        assert f"the new key of shop/{env} was not sealed to bob@s1.io" in removed.stderr
    assert "shows no proof from that invite" in removed.stderr
    assert "envkeep member verify bob@s1.io --fingerprint" in removed.stderr
    assert "then: envkeep member seal bob@s1.io" in removed.stderr
    _ok(alice, work, "set", "DB=after-removal", "--env", "dev")
    assert _cli(mal, work, "get", "DB", "--env", "dev").returncode == 4
    assert _cli(bob, work, "get", "DB", "--env", "dev").returncode == 4  # left out, for now
    assert _ok(carol, work, "get", "DB", "--env", "dev") == "after-removal\n"
    # What it said to do gives Bob the new keys.
    _ok(alice, work, "member", "verify", "bob@s1.io", "--fingerprint", _fingerprint(bob, work))
    _ok(alice, work, "member", "seal", "bob@s1.io")
    assert _ok(bob, work, "get", "DB", "--env", "dev") == "after-removal\n"


def test_a_removal_leaves_out_a_reader_whose_pinned_key_changed_and_the_removed_reads_nothing(
    server: TeamServer, tmp_path: Path
) -> None:
    """The server shows Dan's key otherwise than pinned here when Alice removes Mallory: the
    keys rotate without Dan, who is named; Mallory, her private keys and the whole database in
    hand, opens nothing written after the removal."""
    alice, dan, mal = tmp_path / "alice", tmp_path / "dan", tmp_path / "mal"
    work = tmp_path / "work"
    work.mkdir()
    _join(server, alice, work, server.invite("alice@s2.io"), "alice@s2.io")
    _ok(alice, work, "init", "shop")
    _ok(alice, work, "set", "DB=first", "--env", "dev")
    for home, email in ((dan, "dan@s2.io"), (mal, "mal@s2.io")):
        _invite_and_join(server, alice, home, work, email, "--role", "read", "--project", "shop")
        _ok(alice, work, "member", "seal", email)  # the key pinned here
    (alice / "invites.json").unlink()  # no invite's proof speaks for Dan: only his pin does
    engine = open_engine(server.database)
    with Session(engine) as session, session.begin():  # the server swaps Dan's key
        row = session.scalars(select(Principal).where(Principal.name == "dan@s2.io")).one()
        row.encryption_public = crypto.generate_keys().public().encryption
    engine.dispose()

    removed = _cli(alice, work, "member", "remove", "mal@s2.io", "--yes")

    assert removed.returncode == 0, removed.stderr
    for env in ("dev", "staging", "prod"):
        assert f"the new key of shop/{env} was not sealed to dan@s2.io" in removed.stderr
    assert "the public key of dan@s2.io CHANGED" in removed.stderr
    assert "then: envkeep member seal dan@s2.io" in removed.stderr
    assert _left_out_audited(server, "dan@s2.io") == 3  # the audit names whom, in each
    _ok(alice, work, "set", "DB=after-removal", "--env", "dev")
    assert _cli(mal, work, "get", "DB", "--env", "dev").returncode == 4
    _cannot_open_current(server, mal, "dev")


def _left_out_audited(server: TeamServer, email: str) -> int:
    """How many key rotations' audit events name ``email``'s principal id as left out."""
    import json

    from envkeep.store.models import AuditEvent

    engine = open_engine(server.database)
    with Session(engine) as session:
        who = session.scalars(select(Principal.id).where(Principal.name == email)).one()
        rotations = session.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "environment.rotate_key")
        ).all()
    engine.dispose()
    return sum(who in json.loads(d).get("left_out_ids", []) for d in rotations)


def _cannot_open_current(server: TeamServer, home: Path, environment: str) -> None:
    """``home``'s saved private keys open only the data key shared before the removal, and
    that opens no current value of ``environment`` (test_members_server's check)."""
    settings = load_settings(
        {"ENVKEEP_HOME": str(home / "servers" / server.url.split("://")[1].replace(":", "_"))}
    )
    record = load_record(settings)
    assert record is not None
    keys = unlock(settings, record, None).keys
    engine = open_engine(server.database)
    with Session(engine) as session:
        env = session.scalars(  # the one of those on the server whose key they held
            select(Environment)
            .join(DataKeyShare, DataKeyShare.environment_id == Environment.id)
            .where(
                Environment.name == environment, DataKeyShare.recipient_id == record.principal_id
            )
        ).one()
        assert env.key_version == 2
        mine = session.scalars(
            select(DataKeyShare).where(
                DataKeyShare.recipient_id == record.principal_id,
                DataKeyShare.environment_id == env.id,
            )
        ).all()
        assert [s.key_version for s in mine] == [1]
        current = session.execute(
            select(SecretVersion)
            .join(Secret, Secret.id == SecretVersion.secret_id)
            .where(Secret.environment_id == env.id, SecretVersion.version == Secret.current_version)
        ).scalar_one()
        sharer = session.get(Principal, mine[0].sharer_id)
        assert sharer is not None
        sharer_keys = crypto.PublicKeys(sharer.encryption_public, sharer.signing_public)
    engine.dispose()
    old_dek = crypto.open_share(
        mine[0].sealed,
        env_id=env.id,
        key_version=1,
        recipient_id=record.principal_id,
        recipient=keys,
        sharer=sharer_keys,
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


def test_a_rotation_shown_the_callers_own_key_otherwise_still_stops(
    server: TeamServer, tmp_path: Path
) -> None:
    """Only another reader is left out: this caller's own key shown otherwise means the server
    is not to be trusted, and nothing changes."""
    alice, work = tmp_path / "alice", tmp_path / "work"
    work.mkdir()
    _join(server, alice, work, server.invite("alice@s3.io"), "alice@s3.io")
    _ok(alice, work, "init", "shop")
    engine = open_engine(server.database)
    with Session(engine) as session, session.begin():
        row = session.scalars(select(Principal).where(Principal.name == "alice@s3.io")).one()
        row.encryption_public = crypto.generate_keys().public().encryption
    engine.dispose()

    refused = _cli(alice, work, "env", "rotate-key", "dev")

    assert refused.returncode == IntegrityError.exit_code, refused.stderr
    assert "the server shows your own key as" in refused.stderr
    assert "not sealed to" not in refused.stderr


def test_a_removal_the_server_lists_at_an_older_key_version_is_refused_before_it_cuts_access(
    server: TeamServer, tmp_path: Path
) -> None:
    """After a restore of the server's database, this machine remembers newer key versions
    than the server lists: each rotation would be refused once the access was cut, leaving the
    removed member the key that goes on opening new values. So nothing changes, and the way
    on is named (env trust, then the removal again)."""
    import json

    alice, mal = tmp_path / "alice", tmp_path / "mal"
    work = tmp_path / "work"
    work.mkdir()
    _join(server, alice, work, server.invite("alice@s4.io"), "alice@s4.io")
    _ok(alice, work, "init", "shop")
    _ok(alice, work, "set", "DB=first", "--env", "dev")
    _invite_and_join(server, alice, mal, work, "mal@s4.io", "--role", "read", "--project", "shop")
    _ok(alice, work, "member", "seal", "mal@s4.io")
    pins = alice / "known_key_versions.json"
    remembered = json.loads(pins.read_text())
    assert remembered  # the reads above pinned dev's key version
    pins.write_text(json.dumps({k: v + 1 for k, v in remembered.items()}))  # as after a restore

    removed = _cli(alice, work, "member", "remove", "mal@s4.io", "--yes")

    assert removed.returncode == 1, removed.stderr
    assert "removing mal@s4.io rotates its key, so nothing changed" in removed.stderr
    assert "envkeep env trust dev --project shop" in removed.stderr
    assert _ok(mal, work, "get", "DB", "--env", "dev") == "first\n"  # still a member
    assert "mal@s4.io" in _ok(alice, work, "member", "list")


def test_the_server_refuses_a_rotation_that_leaves_out_its_caller(
    server: TeamServer, tmp_path: Path
) -> None:
    """A client that names itself (here every reader) ``left_out`` would leave the new key with
    no one, every value under it unreadable for good: the server refuses it, nothing changed."""
    from envkeep.client.context import ClientContext
    from envkeep.client.reading import read_environment
    from envkeep.client.team_server import team_backend
    from envkeep.client.write_plans import WriteTarget, plan_write
    from envkeep.core.errors import InputError
    from tests.test_rotation_keys import _write_json

    alice, work = tmp_path / "alice", tmp_path / "work"
    work.mkdir()
    _join(server, alice, work, server.invite("alice@s5.io"), "alice@s5.io")
    _ok(alice, work, "init", "shop")
    _ok(alice, work, "set", "DB=first", "--env", "dev")
    settings = load_settings({"ENVKEEP_HOME": str(alice), "ENVKEEP_KEYRING": "off"})
    ctx = ClientContext(settings, work)
    try:
        backend = team_backend(ctx)
        opened = read_environment(ctx, "dev", None)
        version = opened.key_version + 1
        target = WriteTarget(opened.snapshot.environment.id, crypto.new_data_key(), version)
        writes = [
            plan_write(
                ctx.identity,
                target,
                v.scope_key,
                v.name,
                v.value,
                existing=(v.secret_id, v.version),
            )
            for v in opened.variables()
        ]
        path = f"{backend.project_path('shop')}/environments/dev"
        readers = backend.api.request("GET", f"{path}/readers")
        body = {
            "new_key_version": version,
            "shares": [],
            "writes": [_write_json(w) for w in writes],
            "left_out": [r["id"] for r in readers],
        }
        with pytest.raises(InputError, match="cannot leave out the caller"):
            backend.api.request("POST", f"{path}/rotate", json=body)
    finally:
        ctx.close()
    assert _ok(alice, work, "get", "DB", "--env", "dev") == "first\n"
