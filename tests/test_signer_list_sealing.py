"""ENVKEEP_SIGNERS governs every key a data key is sealed to, not only the ones first seen: a
key this machine pinned (a grantee, a teammate met on a read) that the list leaves out is
refused as an unlisted signer is, by a grant and a new environment's shares, before anything
changes on the server; a key rotation (its own or one a revocation or `token rotate` calls for)
goes through leaving that key out of the new key and naming it. A key the command made itself
(`token rotate`'s new token) and the caller's own pass."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from envkeep import crypto
from envkeep.client import invite_proofs
from envkeep.client.new_keys import checked_recipient
from envkeep.client.pins import load_pins, pin, pin_made_here
from envkeep.core.errors import IntegrityError
from tests.server import cli as _cli
from tests.server import quick_ok as _ok
from tests.server import start_server
from tests.test_signer_list import Team, _ctx, _signer

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

DEV = ("--project", "shop", "--env", "dev")


def test_a_pinned_key_the_list_leaves_out_is_refused_naming_it_and_the_way_on(
    tmp_path: Path,
) -> None:
    bob, listed = crypto.generate_keys(), frozenset({crypto.generate_keys().public().fingerprint()})
    ctx = _ctx(tmp_path, listed)
    pin(ctx, "bob", bob.public().fingerprint(), "bob@x.io")  # trusted on first use, earlier
    pins = load_pins(ctx)

    with pytest.raises(IntegrityError) as refused:
        checked_recipient(ctx, _signer(bob), "prod's key")

    message, hint = refused.value.message, str(refused.value.hint)
    fingerprint = bob.public().fingerprint()
    assert f"bob@x.io has a key ENVKEEP_SIGNERS does not list ({fingerprint})" in message
    assert message.endswith("prod's key was not sealed to it")
    assert "pinned on this machine" in message
    assert "envkeep member verify bob@x.io --fingerprint" in hint
    assert "add it to ENVKEEP_SIGNERS" in hint
    assert "unset ENVKEEP_SIGNERS" in hint
    assert load_pins(ctx) == pins


def test_a_key_an_invite_of_ours_proves_is_refused_when_the_list_leaves_it_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(invite_proofs, "check_invite_proof", lambda *_args: True)
    bob = crypto.generate_keys()
    ctx = _ctx(tmp_path, frozenset({crypto.generate_keys().public().fingerprint()}))

    with pytest.raises(IntegrityError, match="ENVKEEP_SIGNERS does not list"):
        checked_recipient(ctx, _signer(bob), "prod's key")
    assert load_pins(ctx) == {}


def test_a_key_this_command_made_and_a_listed_pinned_one_are_sealed_to(tmp_path: Path) -> None:
    made, bob = crypto.generate_keys(), crypto.generate_keys()
    ctx = _ctx(tmp_path, frozenset({bob.public().fingerprint()}))
    pin_made_here(ctx, "bob", made.public())  # `token rotate`'s new token, made just now

    assert checked_recipient(ctx, _signer(made), "prod's key") == made.public()
    pin(ctx, "bob", bob.public().fingerprint())
    assert checked_recipient(ctx, _signer(bob), "prod's key") == bob.public()
    assert ctx.notes == []


def test_a_changed_key_is_named_changed_before_unlisted(tmp_path: Path) -> None:
    bob = crypto.generate_keys()
    ctx = _ctx(tmp_path, frozenset({bob.public().fingerprint()}))
    pin(ctx, "bob", crypto.generate_keys().public().fingerprint())

    with pytest.raises(IntegrityError, match="CHANGED"):
        checked_recipient(ctx, _signer(bob), "prod's key")


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Team]:
    """The Team of test_signer_list, on a server of its own: Alice pinned Bob's key when she
    granted him write on shop; Bob wrote in staging only, so dev holds no value of his."""
    running = start_server(tmp_path_factory.mktemp("signer-sealing"))
    root = tmp_path_factory.mktemp("team")
    try:
        yield Team(running, root)
    finally:
        running.stop()


def _alice(team: Team, *args: str, listed: str) -> tuple[int, str]:
    done = _cli(team.alice_home, team.work, *args, ENVKEEP_SIGNERS=listed)
    return done.returncode, done.stderr


def _refused_for_signer(team: Team, code: int, err: str) -> None:
    assert code == IntegrityError.exit_code, err
    _named_for_signer(team, err)


def _named_for_signer(team: Team, err: str) -> None:
    assert f"bob@signers.io has a key ENVKEEP_SIGNERS does not list ({team.bob})" in err
    assert "pinned on this machine" in err
    assert "envkeep member verify bob@signers.io --fingerprint" in err


def _left_out_for_signer(team: Team, code: int, err: str, *envs: str) -> None:
    """The rotations went through, Bob (the list leaves his key out) left out of each new key
    and named with what to do (docs/design.md: a rotation leaves out a key it does not trust)."""
    assert code == 0, err
    _named_for_signer(team, err)
    for env in envs:
        assert f"warning: the new key of shop/{env} was not sealed to bob@signers.io" in err
    assert "then: envkeep member seal bob@signers.io" in err


def _members(team: Team) -> Any:
    return json.loads(_ok(team.alice_home, team.work, "member", "list", "--json"))


def test_a_grant_to_a_pinned_member_the_list_leaves_out_is_refused_before_it_is_made(
    team: Team,
) -> None:
    before = _members(team)

    code, err = _alice(team, "member", "grant", "bob@signers.io", "read", *DEV, listed=team.alice)

    _refused_for_signer(team, code, err)
    assert "; the key of each environment the read role opens was not sealed to it" in err
    assert _members(team) == before


def test_a_key_rotation_seals_to_no_pinned_key_the_list_leaves_out(team: Team) -> None:
    code, err = _alice(team, "env", "rotate-key", "dev", listed=team.alice)

    _left_out_for_signer(team, code, err, "dev")
    assert "'dev' now uses key version 2" in err
    _ok(team.alice_home, team.work, "set", "LEFT=out", "--env", "dev")
    bob = team.root / "bob"
    assert _cli(bob, team.work, "get", "LEFT", "--env", "dev").returncode == 4  # no share of 2
    code, err = _alice(team, "env", "rotate-key", "dev", listed=f"{team.alice},{team.bob}")
    assert code == 0, err
    assert "'dev' now uses key version 3" in err
    assert "not sealed" not in err
    assert _ok(bob, team.work, "get", "LEFT", "--env", "dev") == "out\n"


def test_a_new_environment_is_not_sealed_to_a_pinned_key_the_list_leaves_out(
    team: Team,
) -> None:
    code, err = _alice(team, "env", "create", "qa", listed=team.alice)

    assert code == 0, err  # the environment stays, as for a first-seen key
    assert "not sealed to bob@signers.io" in err
    assert f"ENVKEEP_SIGNERS does not list ({team.bob})" in err


def _dev_token(team: Team, name: str) -> str:
    return _ok(team.alice_home, team.work, "token", "create", name, *DEV).strip()


def _reads(team: Team, token: str) -> bool:
    code, _, _ = team.ci("run", "--env", "dev", "--", "true", token=token)
    return code == 0


def test_a_revocation_rotates_leaving_out_a_reader_the_list_leaves_out(team: Team) -> None:
    token = _dev_token(team, "ci-dev")

    code, err = _alice(team, "token", "revoke", "ci-dev", "--yes", listed=team.alice)

    _left_out_for_signer(team, code, err, "dev")
    assert not _reads(team, token)


def test_token_rotate_leaves_out_an_unlisted_reader_and_seals_to_the_token_it_made(
    team: Team,
) -> None:
    token = _dev_token(team, "ci-rotated")
    unlisted = _dev_token(team, "ci-unlisted")

    code, err = _alice(team, "token", "rotate", "ci-unlisted", listed=team.alice)

    _left_out_for_signer(team, code, err, "dev")
    assert not _reads(team, unlisted)  # rotated out
    done = _cli(
        team.alice_home,
        team.work,
        "token",
        "rotate",
        "ci-rotated",
        ENVKEEP_SIGNERS=f"{team.alice},{team.bob}",
    )
    assert done.returncode == 0, done.stderr  # the new token's key, made here, is sealed to
    assert not _reads(team, token)
    assert _reads(team, done.stdout.strip())


def test_a_member_revocation_the_list_would_stop_halfway_changes_nothing(team: Team) -> None:
    before = _members(team)  # Bob wrote in staging, which revoking his role re-keys

    code, err = _alice(
        team, "member", "revoke", "--yes", "bob@signers.io", "--project", "shop", listed=team.alice
    )

    assert code == IntegrityError.exit_code, err
    assert "ENVKEEP_SIGNERS does not list" in err
    assert "revoking bob@signers.io's role rotates the key of shop/" in err
    assert "nothing changed" in err
    assert _members(team) == before
