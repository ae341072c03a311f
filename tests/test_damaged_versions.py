"""A version no reader can verify, on a real team server: a writer who sends garbage (the
server cannot check what it cannot read) no longer makes the environment unreadable to fix,
nor stops its key from being rotated away from them. A read is refused naming the secret, its
author and the rotation that deletes it; a revocation of the writer rotates the key, deleting
the damaged secret, and the environment reads again."""

from __future__ import annotations

import base64
import json
import os
import uuid
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.server import TeamServer, join, start_server
from tests.server import cli as _cli
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("damaged-versions"))
    yield running
    running.stop()


def _b64(size: int) -> str:
    return base64.urlsafe_b64encode(os.urandom(size)).decode().rstrip("=")


def _garbage_write(server: TeamServer, home: Path, secret_id: str | None = None) -> str:
    """Post, as the member of ``home``, one new secret in shop/dev whose name, value and
    signature are random bytes (its id ``secret_id``, or a new one); its id."""
    session = json.loads((home / "session.json").read_text())
    path = f"/v1/workspaces/{session['workspace_id']}/projects/shop/environments/dev"
    headers = {"Authorization": f"Bearer {session['token']}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as api:
        key_version = api.get(f"{path}/snapshot").json()["environment"]["key_version"]
        secret_id = secret_id or str(uuid.uuid4())
        write = {
            "secret_id": secret_id,
            "scope": "shared",
            "name_index": _b64(32),
            "expected_version": 0,
            "key_version": key_version,
            "name_ct": _b64(60),
            "value_ct": _b64(60),
            "signature": _b64(64),
        }
        answer = api.post(f"{path}/secrets", json={"writes": [write]})
    assert answer.status_code == 200, answer.text  # stored: the server cannot tell
    return secret_id


def test_a_writers_garbage_is_named_on_read_and_deleted_by_a_rotation_told_to(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, bob, work = tmp_path / "alice", tmp_path / "bob", tmp_path / "work"
    work.mkdir()
    join(server, alice, work, server.invite("alice@garbage.io"), "alice@garbage.io")
    _ok(alice, work, "init", "shop")
    _ok(alice, work, "set", "API_KEY=one", "OTHER=keep", "--env", "dev")
    code = _ok(alice, work, "member", "invite", "bob@garbage.io", "--role", "write", "-p", "shop")
    join(server, bob, work, code.strip(), "bob@garbage.io")
    _ok(alice, work, "member", "grant", "bob@garbage.io", "write", "--project", "shop")
    secret_id = _garbage_write(server, bob)

    refused = _cli(alice, work, "get", "OTHER", "--env", "dev")
    assert (refused.returncode, refused.stdout) == (1, ""), refused.stderr
    assert f"1 variable of shop/dev cannot be read: {secret_id}" in refused.stderr
    assert "(shared, version 1, written by bob@garbage.io): signature does not verify" in (
        refused.stderr
    )
    assert f"envkeep env rotate-key dev --project shop --delete-damaged {secret_id}" in (
        refused.stderr
    )
    assert "envkeep audit --env dev --principal bob@garbage.io" in refused.stderr

    # The revocation takes Bob's role; its rotation deletes nothing it was not told to.
    revoked = _cli(alice, work, "member", "revoke", "bob@garbage.io", "--project", "shop", "--yes")
    assert revoked.returncode != 0
    assert "shop/dev" in revoked.stderr
    assert f"--delete-damaged {secret_id}" in revoked.stderr
    hint = next(line for line in revoked.stderr.splitlines() if line.startswith("hint: "))
    assert "rotate-key dev --project shop;" not in hint + ";"  # no bare command refused again
    rotated = _cli(alice, work, "env", "rotate-key", "dev", "--delete-damaged", secret_id)
    assert rotated.returncode == 0, rotated.stderr
    assert f"deleted in shop/dev: secret {secret_id} (shared, version 1" in rotated.stderr

    assert _ok(alice, work, "list", "--env", "dev", "--json").count('"name"') == 2
    assert _ok(alice, work, "get", "OTHER", "--env", "dev") == "keep\n"
    history = _cli(alice, work, "history", "API_KEY", "--env", "dev")
    assert history.returncode == 0, history.stderr


def test_rotate_key_deletes_garbage_only_when_told_to(server: TeamServer, tmp_path: Path) -> None:
    alice, work = tmp_path / "alice", tmp_path / "work"
    work.mkdir()
    join(server, alice, work, server.invite("alice@rotate.io"), "alice@rotate.io")
    _ok(alice, work, "init", "shop")
    _ok(alice, work, "set", "OTHER=keep", "--env", "dev")
    secret_id = _garbage_write(server, alice)

    refused = _cli(alice, work, "env", "rotate-key", "dev")
    assert refused.returncode == 1, refused.stderr
    assert "cannot be read, so the new key cannot carry it" in refused.stderr
    assert "nothing was rotated" in refused.stderr
    rotated = _cli(alice, work, "env", "rotate-key", "dev", "--delete-damaged", secret_id)
    assert rotated.returncode == 0, rotated.stderr
    assert f"deleted in shop/dev: secret {secret_id}" in rotated.stderr
    assert _ok(alice, work, "get", "OTHER", "--env", "dev") == "keep\n"


def test_garbage_under_ids_alike_or_named_for_its_deletion_does_not_stop_the_rotation(
    server: TeamServer, tmp_path: Path
) -> None:
    """A writer picks its secrets' ids: two alike in their first characters, and a variable
    named as a deletion of one would be, made two writes of one name, which the server
    refused, so the rotation that revokes the writer failed and the environment stayed
    unreadable."""
    alice, bob, work = tmp_path / "alice", tmp_path / "bob", tmp_path / "work"
    work.mkdir()
    join(server, alice, work, server.invite("alice@alike.io"), "alice@alike.io")
    _ok(alice, work, "init", "shop")
    _ok(alice, work, "set", "OTHER=keep", "--env", "dev")
    code = _ok(alice, work, "member", "invite", "bob@alike.io", "--role", "write", "-p", "shop")
    join(server, bob, work, code.strip(), "bob@alike.io")
    _ok(alice, work, "member", "grant", "bob@alike.io", "write", "--project", "shop")
    _ok(bob, work, "set", "DAMAGED_DEADBEEFCAFE=planted", "--env", "dev")
    for secret_id in ("deadbeef-cafe-1", "deadbeef-cafe-2", "DEADBEEF-CAFE-3"):
        _garbage_write(server, bob, secret_id)

    _cli(alice, work, "member", "revoke", "bob@alike.io", "--project", "shop", "--yes")
    ids = ("deadbeef-cafe-1", "deadbeef-cafe-2", "DEADBEEF-CAFE-3")
    named = [word for secret_id in ids for word in ("--delete-damaged", secret_id)]
    rotated = _cli(alice, work, "env", "rotate-key", "dev", *named)
    assert rotated.returncode == 0, rotated.stderr
    for secret_id in ("deadbeef-cafe-1", "deadbeef-cafe-2", "DEADBEEF-CAFE-3"):
        assert f"deleted in shop/dev: secret {secret_id} " in rotated.stderr
    assert _ok(alice, work, "get", "OTHER", "--env", "dev") == "keep\n"
    assert _ok(alice, work, "get", "DAMAGED_DEADBEEFCAFE", "--env", "dev") == "planted\n"


def test_a_variable_the_server_misfiled_is_filed_again_by_a_rotation_not_deleted(
    server: TeamServer, tmp_path: Path
) -> None:
    """The name index is not signed: a server that changes it makes the read refuse, but the
    variable verified and opened, so a rotation writes it again under its own index (before,
    a rotation that deleted whatever was damaged would have deleted it)."""
    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from envkeep.store.engine import open_engine
    from envkeep.store.models import Environment, Secret

    alice, work = tmp_path / "alice", tmp_path / "work"
    work.mkdir()
    join(server, alice, work, server.invite("alice@misfiled.io"), "alice@misfiled.io")
    _ok(alice, work, "init", "shop")
    _ok(alice, work, "set", "PAYMENT_KEY=sk_live", "--env", "dev")
    session_file = json.loads((alice / "session.json").read_text())
    snapshot = httpx.get(
        f"{server.url}/v1/workspaces/{session_file['workspace_id']}/projects/shop"
        "/environments/dev/snapshot",
        headers={"Authorization": f"Bearer {session_file['token']}"},
        timeout=30,
    )
    env_id = snapshot.json()["environment"]["id"]
    engine = open_engine(server.database)
    with Session(engine) as session, session.begin():
        session.execute(
            update(Secret).where(Secret.environment_id == env_id).values(name_index=os.urandom(32))
        )
        session.execute(
            update(Environment)
            .where(Environment.id == env_id)
            .values(revision=Environment.revision + 1)
        )
    engine.dispose()

    refused = _cli(alice, work, "get", "PAYMENT_KEY", "--env", "dev")
    assert refused.returncode == 1, refused.stderr
    assert "stored under the wrong name index" in refused.stderr
    assert "--delete-damaged" not in refused.stderr
    rotated = _cli(alice, work, "env", "rotate-key", "dev")
    assert rotated.returncode == 0, rotated.stderr
    assert "filed again under its name in shop/dev: secret" in rotated.stderr
    assert _ok(alice, work, "get", "PAYMENT_KEY", "--env", "dev") == "sk_live\n"


_MISFILED_WRITE = """
import dataclasses, os, sys
from envkeep.cli.state import make_context
from envkeep.client.reading import read_environment
from envkeep.client.write_plans import WriteTarget, plan_write
ctx = make_context(writes=True)
opened = read_environment(ctx, "dev", damaged_ok=True)
target = WriteTarget(opened.snapshot.environment.id, opened.dek, opened.key_version)
write = plan_write(ctx.identity, target, "shared", sys.argv[1], sys.argv[2])
ctx.backend.write_secrets("shop", "dev", [dataclasses.replace(write, name_index=os.urandom(32))])
"""


def test_a_second_secret_of_a_name_filed_elsewhere_is_not_filed_again_over_the_first(
    server: TeamServer, tmp_path: Path
) -> None:
    """A writer signs a second secret of a name an environment has, filed under another index:
    a rotation that filed it again under its name made two writes of one name index, which the
    server refused ("a concurrent change won"), so the key could never be rotated away from that
    writer, --delete-damaged or not. It is deleted, as one that does not open, when told to."""
    import subprocess
    import sys

    from tests.server import _environ

    alice, bob, work = tmp_path / "alice", tmp_path / "bob", tmp_path / "work"
    work.mkdir()
    join(server, alice, work, server.invite("alice@twice.io"), "alice@twice.io")
    _ok(alice, work, "init", "shop")
    _ok(alice, work, "set", "OTHER=keep", "--env", "dev")
    code = _ok(alice, work, "member", "invite", "bob@twice.io", "--role", "write", "-p", "shop")
    join(server, bob, work, code.strip(), "bob@twice.io")
    _ok(alice, work, "member", "grant", "bob@twice.io", "write", "--project", "shop")
    planted = subprocess.run(
        [sys.executable, "-c", _MISFILED_WRITE, "OTHER", "planted"],
        cwd=work,
        env=_environ(bob),
        capture_output=True,
        text=True,
        check=False,
    )
    assert planted.returncode == 0, planted.stderr

    refused = _cli(alice, work, "get", "OTHER", "--env", "dev")
    assert refused.returncode == 1, refused.stderr
    assert "another secret of its scope holds its name" in refused.stderr
    named = refused.stderr.split("envkeep env rotate-key dev --project shop ")[1].split()
    assert named[0] == "--delete-damaged", refused.stderr
    revoked = _cli(alice, work, "member", "revoke", "bob@twice.io", "--project", "shop", "--yes")
    assert revoked.returncode == 1
    assert "concurrent change" not in revoked.stderr
    assert f"--delete-damaged {named[1]}" in revoked.stderr

    rotated = _cli(alice, work, "env", "rotate-key", "dev", *named[:2])
    assert rotated.returncode == 0, rotated.stderr
    assert "deleted in shop/dev: secret" in rotated.stderr
    assert _ok(alice, work, "get", "OTHER", "--env", "dev") == "keep\n"


def test_delete_damaged_deletes_only_the_secrets_it_names(
    server: TeamServer, tmp_path: Path
) -> None:
    """A read named one damaged secret; by the rotation the server had damaged another (any
    version it stores): a bare --delete-damaged deleted whatever did not open then, so the
    server still picked a good variable for the admin to sign the deletion of. The flag takes
    the ids the admin saw named, and a rotation that finds another is refused naming it."""
    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from envkeep.store.engine import open_engine
    from envkeep.store.models import Environment, Secret, SecretVersion

    alice, work = tmp_path / "alice", tmp_path / "work"
    work.mkdir()
    join(server, alice, work, server.invite("alice@named.io"), "alice@named.io")
    _ok(alice, work, "init", "shop")
    _ok(alice, work, "set", "OTHER=keep", "--env", "dev")
    garbage = _garbage_write(server, alice)
    refused = _cli(alice, work, "get", "OTHER", "--env", "dev")
    assert f"--delete-damaged {garbage}" in refused.stderr, refused.stderr

    engine = open_engine(server.database)
    with Session(engine) as session, session.begin():
        planted = session.get(Secret, garbage)
        assert planted is not None
        other = (
            session.query(Secret)
            .filter(Secret.environment_id == planted.environment_id, Secret.id != garbage)
            .one()
        )
        other_id = other.id
        session.execute(
            update(SecretVersion)
            .where(SecretVersion.secret_id == other.id)
            .values(signature=os.urandom(64))
        )
        session.execute(
            update(Environment)
            .where(Environment.id == other.environment_id)
            .values(revision=Environment.revision + 1)
        )
    engine.dispose()

    rotated = _cli(alice, work, "env", "rotate-key", "dev", "--delete-damaged", garbage)
    assert rotated.returncode == 1, rotated.stderr
    assert f"{other_id} (shared, version 1" in rotated.stderr
    assert "nothing was rotated" in rotated.stderr


_TOKEN_GARBAGE = """
import base64, os, uuid
from envkeep.cli.state import make_context
backend = make_context(writes=True).backend
key_version = backend.read_environment("shop", "dev", None).environment.key_version
def b64(size):
    return base64.urlsafe_b64encode(os.urandom(size)).decode().rstrip("=")
write = {"secret_id": str(uuid.uuid4()), "scope": "shared", "name_index": b64(32),
         "expected_version": 0, "key_version": key_version, "name_ct": b64(60),
         "value_ct": b64(60), "signature": b64(64)}
backend.api.request("POST", backend.project_path("shop") + "/environments/dev/secrets",
                    json={"writes": [write]})
"""


def test_a_tokens_damaged_write_names_it_as_token_name(server: TeamServer, tmp_path: Path) -> None:
    """A damaged secret's author is said as history, audit and a conflict say it (`token
    NAME`), not as the server's stored name for the token (``sa:WORKSPACE:NAME``); the audit
    query the hint gives still finds its write."""
    import shlex
    import subprocess
    import sys

    from tests.server import _environ

    alice, work = tmp_path / "alice", tmp_path / "work"
    work.mkdir()
    join(server, alice, work, server.invite("alice@tokenwrite.io"), "alice@tokenwrite.io")
    _ok(alice, work, "init", "shop")
    _ok(alice, work, "set", "OTHER=keep", "--env", "dev")
    made = ("token", "create", "deploy", "-p", "shop", "--env", "dev", "--role", "write")
    token = _ok(alice, work, *made).strip().splitlines()[-1]
    as_token = _environ(
        tmp_path / "ci", ENVKEEP_TOKEN=token, ENVKEEP_SERVER=server.url, ENVKEEP_PROJECT="shop"
    )
    sent = subprocess.run(
        [sys.executable, "-c", _TOKEN_GARBAGE],
        cwd=tmp_path,
        env=as_token,
        capture_output=True,
        text=True,
        check=False,
    )
    assert sent.returncode == 0, sent.stderr

    refused = _cli(alice, work, "get", "OTHER", "--env", "dev")
    assert "(shared, version 1, written by token deploy)" in refused.stderr, refused.stderr
    query = refused.stderr.split("the audit names the write: ")[1].split(")")[0]
    found = _cli(alice, work, *shlex.split(query)[1:])
    assert found.returncode == 0, found.stderr
    assert "secrets.write" in found.stdout


def test_a_version_the_server_moved_to_another_key_version_is_named_as_damaged(
    server: TeamServer, tmp_path: Path
) -> None:
    """A version whose key version the server changed does not verify (the signature binds
    it): the read names the secret, its author and what to do, as for any altered version,
    not a bare "signature does not verify" with no hint."""
    from sqlalchemy import select, update
    from sqlalchemy.orm import Session

    from envkeep.store.engine import open_engine
    from envkeep.store.models import Environment, Secret, SecretVersion

    alice, work = tmp_path / "alice", tmp_path / "work"
    work.mkdir()
    join(server, alice, work, server.invite("alice@keyversion.io"), "alice@keyversion.io")
    _ok(alice, work, "init", "shop")
    _ok(alice, work, "set", "PAYMENT_KEY=sk_live", "--env", "dev")
    session_file = json.loads((alice / "session.json").read_text())
    snapshot = httpx.get(
        f"{server.url}/v1/workspaces/{session_file['workspace_id']}/projects/shop"
        "/environments/dev/snapshot",
        headers={"Authorization": f"Bearer {session_file['token']}"},
        timeout=30,
    )
    env_id = snapshot.json()["environment"]["id"]
    engine = open_engine(server.database)
    with Session(engine) as session, session.begin():
        secrets = select(Secret.id).where(Secret.environment_id == env_id)
        session.execute(
            update(SecretVersion).where(SecretVersion.secret_id.in_(secrets)).values(key_version=7)
        )
        session.execute(
            update(Environment)
            .where(Environment.id == env_id)
            .values(revision=Environment.revision + 1)
        )
    engine.dispose()

    refused = _cli(alice, work, "get", "PAYMENT_KEY", "--env", "dev")

    assert refused.returncode == 1, refused.stderr
    assert "1 variable of shop/dev cannot be read" in refused.stderr
    assert "written by alice@keyversion.io" in refused.stderr
    assert "hint: " in refused.stderr
