"""Keys the server swapped for a member's, on a real team server: `member verify` pins nothing
an invite made on this machine disproves, and a grant refused for a changed key names the
pinned fingerprint, the one the server shows now and the exact `member verify` to run."""

from __future__ import annotations

import json
import shlex
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from envkeep import crypto
from envkeep.core.errors import IntegrityError
from envkeep.store.engine import open_engine
from envkeep.store.models import Principal
from tests.server import TeamServer, start_server
from tests.server import cli as _cli
from tests.server import join as _join
from tests.server import quick_ok as _ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    running = start_server(tmp_path_factory.mktemp("changed-keys"))
    yield running
    running.stop()


def _swap_keys(server: TeamServer, email: str) -> str:
    """The server hands out a key of its own for ``email``; the fingerprint it shows now."""
    engine = open_engine(server.database)
    with Session(engine) as session, session.begin():
        row = session.scalars(select(Principal).where(Principal.name == email)).one()
        row.encryption_public = crypto.generate_keys().public().encryption
        shown = crypto.PublicKeys(row.encryption_public, row.signing_public).fingerprint()
    engine.dispose()
    return shown


def _fingerprint(home: Path, work: Path) -> str:
    """What ``envkeep whoami --fingerprint`` shows its owner, as they read it out."""
    return " ".join(_ok(home, work, "whoami", "--fingerprint").split()[-8:])


def _admin_with_project(server: TeamServer, root: Path, email: str) -> tuple[Path, Path]:
    home, work = root / email.partition("@")[0], root / "work"
    work.mkdir()
    _join(server, home, work, server.invite(email), email)
    _ok(home, work, "init", "shop")
    return home, work


def test_member_verify_pins_nothing_an_invite_made_here_disproves(
    server: TeamServer, tmp_path: Path
) -> None:
    alice, work = _admin_with_project(server, tmp_path, "alice@disproved.io")
    bob = tmp_path / "bob"
    code = _ok(alice, work, "member", "invite", "bob@disproved.io", "--role", "read")
    _join(server, bob, work, code.strip(), "bob@disproved.io")
    _ok(alice, work, "member", "grant", "bob@disproved.io", "read")  # pins Bob's real key
    real = _fingerprint(bob, work)
    pins_file = alice / "known_keys.json"
    pinned = pins_file.read_bytes()
    shown = _swap_keys(server, "bob@disproved.io")

    # Whoever swapped the key may also have got Bob to read out its fingerprint.
    refused = _cli(alice, work, "member", "verify", "bob@disproved.io", "--fingerprint", shown)

    assert refused.returncode == IntegrityError.exit_code, refused.stderr
    error, hint = refused.stderr.strip().splitlines()
    assert error == (
        "error: the keys the server shows for bob@disproved.io are not the ones they registered"
        f" with your invite (pinned on this machine: {real}; shown by the server now: {shown});"
        " nothing was pinned"
    )
    assert hint.startswith("hint: do not share anything with this account")
    assert "remove it (envkeep member remove bob@disproved.io) and invite them again" in hint
    assert "compare fingerprints out of band (they run: envkeep whoami --fingerprint)" in hint
    assert pins_file.read_bytes() == pinned
    still = _cli(alice, work, "member", "grant", "bob@disproved.io", "write")
    assert still.returncode == IntegrityError.exit_code, still.stderr
    assert f"shown by the server now: {shown}); nothing was sealed to them" in still.stderr


def test_a_grant_refused_for_a_changed_key_names_both_fingerprints_and_the_verify_to_run(
    server: TeamServer, tmp_path: Path
) -> None:
    # Carol, a second admin, granted Bob a role: she pinned his key, and no invite of hers
    # speaks for it (Alice invited him).
    alice, work = _admin_with_project(server, tmp_path, "alice@changed.io")
    carol, bob = tmp_path / "carol", tmp_path / "bob"
    code = _ok(alice, work, "member", "invite", "carol@changed.io", "--role", "admin")
    _join(server, carol, work, code.strip(), "carol@changed.io")
    _ok(alice, work, "member", "grant", "carol@changed.io", "admin")
    code = _ok(alice, work, "member", "invite", "bob@changed.io", "--role", "read")
    _join(server, bob, work, code.strip(), "bob@changed.io")
    _ok(carol, work, "member", "grant", "bob@changed.io", "read")
    real = _fingerprint(bob, work)
    pins_file = carol / "known_keys.json"
    pinned = pins_file.read_bytes()
    shown = _swap_keys(server, "bob@changed.io")

    refused = _cli(carol, work, "member", "grant", "bob@changed.io", "write")

    assert refused.returncode == IntegrityError.exit_code, refused.stderr
    error, hint = refused.stderr.strip().splitlines()
    assert error == (
        "error: the public key of bob@changed.io CHANGED"
        f" (pinned on this machine: {real}; shown by the server now: {shown})"
    )
    # the command to type what they read out into: never the server's fingerprint, ready to
    # paste unchecked (the message shows that one to compare with)
    command = "envkeep member verify bob@changed.io --fingerprint 'WHAT THEY READ OUT'"
    assert hint.startswith("hint: ask them to read out what 'envkeep whoami --fingerprint'")
    assert hint.endswith(f"only if it is the one the server shows now, run: {command}")
    assert shown not in hint
    assert pins_file.read_bytes() == pinned
    rotation = _cli(carol, work, "env", "rotate-key", "dev")  # goes on, Bob left out of it
    assert rotation.returncode == 0, rotation.stderr
    assert "warning: the new key of shop/dev was not sealed to bob@changed.io" in rotation.stderr
    assert error.removeprefix("error: ").removeprefix("the public key") in rotation.stderr
    assert "then: envkeep member seal bob@changed.io" in rotation.stderr
    assert pins_file.read_bytes() == pinned

    read_out = shlex.split(command.replace("WHAT THEY READ OUT", shown))  # had it been theirs
    _ok(carol, work, *read_out[1:])  # the hint's command, with what they read out
    assert shown in json.loads(pins_file.read_text()).values()
    _ok(carol, work, "member", "grant", "bob@changed.io", "write")


def test_member_verify_of_a_key_that_is_not_the_one_read_out_labels_each_and_pins_nothing(
    server: TeamServer, tmp_path: Path
) -> None:
    # Carol pinned Bob's real key when she granted him a role; no invite of hers speaks for
    # it (Alice invited him), so only the fingerprints compared decide.
    alice, work = _admin_with_project(server, tmp_path, "alice@mismatch.io")
    carol, bob = tmp_path / "carol", tmp_path / "bob"
    code = _ok(alice, work, "member", "invite", "carol@mismatch.io", "--role", "admin")
    _join(server, carol, work, code.strip(), "carol@mismatch.io")
    _ok(alice, work, "member", "grant", "carol@mismatch.io", "admin")
    code = _ok(alice, work, "member", "invite", "bob@mismatch.io", "--role", "read")
    _join(server, bob, work, code.strip(), "bob@mismatch.io")
    _ok(carol, work, "member", "grant", "bob@mismatch.io", "read")
    real = _fingerprint(bob, work)
    pins_file = carol / "known_keys.json"
    pinned = pins_file.read_bytes()
    shown = _swap_keys(server, "bob@mismatch.io")
    verify = ("member", "verify", "bob@mismatch.io", "--fingerprint")
    other = " ".join(["f00d"] * 8)

    # What Bob reads out is the key pinned here: the server presents another.
    theirs = _cli(carol, work, *verify, real.replace(" ", ""))
    # Neither the pinned key nor the server's: misheard, or another key yet.
    neither = _cli(carol, work, *verify, other)

    assert theirs.returncode == IntegrityError.exit_code, theirs.stderr
    error, hint = theirs.stderr.strip().splitlines()
    assert error == (
        "error: the key the server presents for bob@mismatch.io does NOT match the one pinned"
        " on this machine, which is the fingerprint you gave (pinned on this machine:"
        f" {real}; shown by the server now: {shown}; you gave: {real}); nothing was changed"
    )
    assert hint.startswith("hint: do not trust the key the server presents"), hint
    assert "tell your workspace's admins" in hint
    assert "member verify" not in hint  # nothing to pin: the key pinned is theirs
    assert neither.returncode == IntegrityError.exit_code, neither.stderr
    error, hint = neither.stderr.strip().splitlines()
    assert error == (
        "error: the key the server presents for bob@mismatch.io does NOT match the one pinned"
        " on this machine, nor the fingerprint you gave (pinned on this machine:"
        f" {real}; shown by the server now: {shown}; you gave: {other}); nothing was changed"
    )
    command = "envkeep member verify bob@mismatch.io --fingerprint 'WHAT THEY READ OUT'"
    assert hint.endswith(f"(their new key), pin it with: {command}"), hint
    assert shown not in hint  # never the server's fingerprint as the one to type
    assert pins_file.read_bytes() == pinned

    # Had Bob confirmed the server's as his new key: pinned, saying what it replaces.
    repinned = _cli(carol, work, *verify, shown)
    assert repinned.returncode == 0, repinned.stderr
    assert repinned.stderr.strip() == (
        f"pinned bob@mismatch.io's new key {shown} (in place of {real}, pinned on this machine"
        " before)"
    )
    assert shown in json.loads(pins_file.read_text()).values()
