"""Keys after a rotation and for a new environment, on a real team server (SQLite, then
PostgreSQL): a deletion is re-encrypted with the values, so newcomers holding only the new key
read the environment and a deleted name can be set again; a new environment's key is sealed to
everyone whose role covers it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from envkeep.client.context import ClientContext
from envkeep.settings import load_settings
from envkeep.store.engine import open_engine
from envkeep.store.models import Environment, Secret, SecretVersion
from tests.server import TeamServer, server_per_database
from tests.server import cli as _cli
from tests.server import join as _join
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TeamServer]:
    yield from server_per_database(request, tmp_path_factory, "rotation")


def _member(
    server: TeamServer, admin: Path, home: Path, work: Path, email: str, *role: str
) -> None:
    """``email`` invited with ``role`` (ROLE [--project P [--env E]]), joined, keys granted."""
    level, *scope = role
    code = _ok(admin, work, "member", "invite", email, "--role", level, *scope).strip()
    _join(server, home, work, code, email)
    _ok(admin, work, "member", "grant", email, level, *scope)


def _owner(server: TeamServer, root: Path, email: str) -> tuple[Path, Path]:
    """(home, project dir) of a new workspace's admin who made project shop."""
    home, work = root / "owner", root / "work"
    work.mkdir()
    _join(server, home, work, server.invite(email), email)
    _ok(home, work, "init", "shop")
    return home, work


def _deleted_then_rotated(
    server: TeamServer, root: Path, email: str, env: str
) -> tuple[Path, Path]:
    """The reviewer's case: GONE set and deleted in ``env``, its key rotated, then LIVE set."""
    alice, work = _owner(server, root, email)
    _ok(alice, work, "env", "create", env)
    _ok(alice, work, "set", "GONE=1", "--env", env)
    _ok(alice, work, "unset", "GONE", "--env", env)
    _ok(alice, work, "env", "rotate-key", env)
    _ok(alice, work, "set", "LIVE=1", "--env", env)
    return alice, work


def _current_key_versions(server: TeamServer, env_name: str) -> dict[bool, set[int]]:
    """The key versions of the current versions of an environment's secrets, by deleted."""
    engine = open_engine(server.database)
    with Session(engine) as session:
        rows = session.execute(
            select(Secret.deleted, SecretVersion.key_version)
            .join(SecretVersion, SecretVersion.secret_id == Secret.id)
            .join(Environment, Environment.id == Secret.environment_id)
            .where(Environment.name == env_name, SecretVersion.version == Secret.current_version)
        ).all()
    engine.dispose()
    found: dict[bool, set[int]] = {}
    for deleted, key_version in rows:
        found.setdefault(bool(deleted), set()).add(key_version)
    return found


def test_a_member_granted_after_a_rotation_reads_an_environment_with_a_deletion(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = _deleted_then_rotated(server, tmp_path, "lock@r.io", "lock")
    bob = tmp_path / "bob"
    _member(server, alice, bob, work, "bob@lock.io", "read", "--project", "shop", "--env", "lock")

    got = _cli(bob, work, "get", "LIVE", "--env", "lock")
    assert got.returncode == 0, got.stderr
    assert got.stdout == "1\n"
    assert _ok(bob, work, "list", "--env", "lock", "--json").count("GONE") == 0
    assert _current_key_versions(server, "lock") == {True: {2}, False: {2}}


def test_a_name_deleted_before_a_rotation_can_be_set_again(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = _deleted_then_rotated(server, tmp_path, "again@r.io", "again")
    bob = tmp_path / "bob"
    _member(
        server, alice, bob, work, "bob@again.io", "write", "--project", "shop", "--env", "again"
    )

    again = _cli(alice, work, "set", "GONE=2", "--env", "again")
    assert again.returncode == 0, again.stderr
    assert _ok(bob, work, "get", "GONE", "--env", "again") == "2\n"
    history = json.loads(
        _ok(alice, work, "history", "GONE", "--env", "again", "--json", "--reveal")
    )
    assert [h["value"] for h in history][:2] == ["1", None]  # one variable, its past kept
    _ok(bob, work, "unset", "GONE", "--env", "again")
    _ok(bob, work, "set", "GONE=3", "--env", "again")
    assert _ok(alice, work, "get", "GONE", "--env", "again") == "3\n"


def test_a_rotated_token_reads_an_environment_with_a_deletion(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = _owner(server, tmp_path, "tok@r.io")
    ci = tmp_path / "ci"
    _ok(alice, work, "token", "create", "ci", "--project", "shop", "--env", "staging")
    _ok(alice, work, "set", "GONE=1", "LIVE=1", "--env", "staging")
    _ok(alice, work, "unset", "GONE", "--env", "staging")
    _ok(alice, work, "env", "rotate-key", "staging")
    rotated = _cli(alice, work, "token", "rotate", "ci")
    assert rotated.returncode == 0, rotated.stderr

    token = rotated.stdout.strip()
    got = _cli(ci, work, "get", "LIVE", "--env", "staging", ENVKEEP_TOKEN=token)
    assert got.returncode == 0, got.stderr
    assert got.stdout == "1\n"


def _client(home: Path, work: Path) -> ClientContext:
    return ClientContext(load_settings({"ENVKEEP_HOME": str(home), "ENVKEEP_KEYRING": "off"}), work)


def _rotate_values_only(ctx: ClientContext, env: str, keep: int = 0) -> None:
    """A rotation as clients before this release sent it: live values re-encrypted (all but
    the first ``keep``), deletions left under the old key."""
    from envkeep import crypto
    from envkeep.client.new_keys import sealed_share
    from envkeep.client.reading import read_environment
    from envkeep.client.team_server import team_backend
    from envkeep.client.write_plans import WriteTarget, plan_write

    backend = team_backend(ctx)
    opened = read_environment(ctx, env, None)
    version, env_id = opened.key_version + 1, opened.snapshot.environment.id
    dek = crypto.new_data_key()
    target = WriteTarget(env_id, dek, version)
    writes = [
        plan_write(
            ctx.identity, target, v.scope_key, v.name, v.value, existing=(v.secret_id, v.version)
        )
        for v in opened.variables()[keep:]
    ]
    path = f"{backend.project_path('shop')}/environments/{env}"
    readers = backend.api.request("GET", f"{path}/readers")
    body: dict[str, Any] = {
        "new_key_version": version,
        "shares": [sealed_share(ctx, r, target, f"the new key of {env}") for r in readers],
        "writes": [_write_json(w) for w in writes],
    }
    backend.api.request("POST", f"{path}/rotate", json=body)


def _write_json(write: Any) -> dict[str, Any]:
    from envkeep.api import schemas
    from envkeep.client.http import _write

    return dict(schemas.SecretWrite.model_validate(_write(write)).model_dump(mode="json"))


def test_a_deletion_an_older_client_left_under_the_old_key_neither_locks_out_nor_blocks(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = _owner(server, tmp_path, "legacy@r.io")
    _ok(alice, work, "env", "create", "legacy")
    _ok(alice, work, "set", "GONE=1", "LIVE=1", "--env", "legacy")
    _ok(alice, work, "unset", "GONE", "--env", "legacy")
    ctx = _client(alice, work)
    try:
        _rotate_values_only(ctx, "legacy")
    finally:
        ctx.close()
    assert _current_key_versions(server, "legacy") == {True: {1}, False: {2}}
    bob = tmp_path / "bob"
    _member(server, alice, bob, work, "bob@legacy.io", "write", "--project", "shop")

    assert _ok(bob, work, "get", "LIVE", "--env", "legacy") == "1\n"
    _ok(alice, work, "set", "GONE=2", "--env", "legacy")  # the old deletion holds no index now
    assert _ok(bob, work, "get", "GONE", "--env", "legacy") == "2\n"
    _ok(bob, work, "set", "GONE=3", "--env", "legacy")
    assert _ok(alice, work, "get", "GONE", "--env", "legacy") == "3\n"
    _ok(alice, work, "env", "rotate-key", "legacy")
    assert _ok(bob, work, "get", "GONE", "--env", "legacy") == "3\n"


def test_a_rotation_that_misses_a_live_value_is_refused(server: TeamServer, tmp_path: Path) -> None:
    alice, work = _owner(server, tmp_path, "race@r.io")
    _ok(alice, work, "env", "create", "race")
    _ok(alice, work, "set", "A=1", "B=2", "--env", "race")
    ctx = _client(alice, work)
    try:
        with pytest.raises(Exception, match="changed while its key was rotated"):
            _rotate_values_only(ctx, "race", keep=1)  # as if A was written meanwhile
    finally:
        ctx.close()
    assert _current_key_versions(server, "race") == {False: {1}}  # nothing changed
    assert _ok(alice, work, "get", "A", "--env", "race") == "1\n"


def _team(server: TeamServer, root: Path, domain: str) -> tuple[Path, Path, dict[str, Path], str]:
    """Alice (workspace admin) with project shop; Carol admin of shop, Dave reader of the
    workspace, Erin reader of shop's staging only; a token read on shop. Its token too."""
    alice, work = _owner(server, root, f"alice@{domain}")
    people = {"carol": root / "carol", "dave": root / "dave", "erin": root / "erin"}
    _member(server, alice, people["carol"], work, f"carol@{domain}", "admin", "--project", "shop")
    _member(server, alice, people["dave"], work, f"dave@{domain}", "read")
    _member(
        server,
        alice,
        people["erin"],
        work,
        f"erin@{domain}",
        "read",
        "--project",
        "shop",
        "--env",
        "staging",
    )
    token = _ok(alice, work, "token", "create", "ci", "--project", "shop", "--role", "read")
    return alice, work, people, token.strip()


def test_a_new_environment_s_key_is_sealed_to_everyone_whose_role_covers_it(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work, people, token = _team(server, tmp_path, "sealed.io")
    created = _cli(alice, work, "env", "create", "qa2")
    assert created.returncode == 0, created.stderr
    _ok(alice, work, "set", "Q=1", "--env", "qa2")

    for who in ("carol", "dave"):
        assert _ok(people[who], work, "get", "Q", "--env", "qa2") == "1\n", who
    as_ci = _cli(tmp_path / "ci", work, "get", "Q", "--env", "qa2", ENVKEEP_TOKEN=token)
    assert as_ci.stdout == "1\n", as_ci.stderr
    assert _cli(people["erin"], work, "get", "Q", "--env", "qa2").returncode == 4  # no role
    members = json.loads(_ok(alice, work, "member", "list", "--json"))
    assert [m["keys_missing"] for m in members] == [0] * len(members)
    cloned = _cli(people["carol"], work, "env", "clone", "qa2", "qa3")  # a project admin's
    assert cloned.returncode == 0, cloned.stderr
    # Alice invited each of them and made the token: no key was new to her machine. Carol's
    # machine had seen none of theirs: each is named, with the fingerprint to compare.
    assert "had not seen before" not in created.stderr, created.stderr
    first_seen = [line for line in cloned.stderr.splitlines() if "had not seen before" in line]
    assert any("dave@sealed.io" in line for line in first_seen), cloned.stderr
    assert all("fingerprint " in line for line in first_seen)
    assert _ok(alice, work, "get", "Q", "--env", "qa3") == "1\n"
    assert _ok(people["dave"], work, "get", "Q", "--env", "qa3") == "1\n"


def test_a_rotation_names_each_reader_whose_key_this_machine_sees_first(
    server: TeamServer, tmp_path: Path
) -> None:
    # Carol's machine has seen none of the other readers' keys: the server chose them, so each
    # the new key is sealed to is named with its fingerprint, once.
    alice, work, people, _token = _team(server, tmp_path, "rotnote.io")
    _ok(alice, work, "set", "S=1", "--env", "staging")

    first = _cli(people["carol"], work, "env", "rotate-key", "staging")
    again = _cli(people["carol"], work, "env", "rotate-key", "staging")

    assert first.returncode == 0, first.stderr
    named = [line for line in first.stderr.splitlines() if "had not seen before" in line]
    for who in ("dave@rotnote.io", "erin@rotnote.io"):
        [line] = [n for n in named if who in n]
        assert line.startswith("note: pinned the key of "), line
        assert "to seal the new key of shop/staging to it" in line, line
        assert "fingerprint " in line
    assert again.returncode == 0, again.stderr
    assert "had not seen before" not in again.stderr  # pinned now
    assert _ok(people["erin"], work, "get", "S", "--env", "staging") == "1\n"


def test_a_new_environment_is_created_when_a_reader_s_key_cannot_be_trusted_and_says_so(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work, people, _token = _team(server, tmp_path, "n.io")
    pins_file = alice / "known_keys.json"
    pins = json.loads(pins_file.read_text())
    carol_pin = next(k for k in pins if k.endswith(_principal_id(people["carol"], work)))
    real = pins[carol_pin]
    pins[carol_pin] = "0000 0000"  # as if Carol's key changed since Alice pinned it
    tokens = json.loads(_ok(alice, work, "token", "list", "--json"))
    ci_pin = next(k for k in pins if k.endswith(tokens[0]["principal"]["id"]))  # pinned at birth
    pins[ci_pin] = "1111 1111"
    pins_file.write_text(json.dumps(pins))

    created = _cli(alice, work, "env", "create", "qa2")
    assert created.returncode == 0, created.stderr
    assert "the public key of token ci CHANGED" in created.stderr  # not its stored name
    assert "envkeep member verify ci --fingerprint" in created.stderr
    assert "carol@n.io" in created.stderr
    assert f"(pinned on this machine: 0000 0000; shown by the server now: {real})" in created.stderr
    assert "envkeep member verify carol@n.io --fingerprint 'WHAT THEY READ OUT'" in created.stderr
    fix = "envkeep member seal carol@n.io"
    assert fix in created.stderr
    _ok(alice, work, "set", "Q=1", "--env", "qa2")
    assert _ok(people["dave"], work, "get", "Q", "--env", "qa2") == "1\n"
    assert _cli(people["carol"], work, "get", "Q", "--env", "qa2").returncode == 4

    typo = _cli(alice, work, "member", "verify", "carol@n.io", "--fingerprint", real[:-1])
    wrong = _cli(alice, work, "member", "verify", "carol@n.io", "--fingerprint", "f" * 32)
    assert typo.returncode == 2, typo.stderr
    assert "is not a key fingerprint: one is 32 hex digits" in typo.stderr
    assert wrong.returncode == 1, wrong.stderr  # an integrity failure
    assert "does NOT match the one pinned on this machine, nor the fingerprint" in wrong.stderr
    assert "; nothing was changed" in wrong.stderr
    assert json.loads(pins_file.read_text())[carol_pin] == "0000 0000"
    read_out = real.replace(" ", "").upper()  # as typed from what Carol read out
    _ok(alice, work, "member", "verify", "carol@n.io", "--fingerprint", read_out)
    assert json.loads(pins_file.read_text())[carol_pin] == real
    _ok(alice, work, *fix.split()[1:])
    assert _ok(people["carol"], work, "get", "Q", "--env", "qa2") == "1\n"


def _principal_id(home: Path, work: Path) -> str:
    shown = json.loads(_ok(home, work, "identity", "show", "--json"))
    return str(shown["principal_id"])
