"""Invite codes split the way the server reads them, and what an invitee's proof of keys
shows the inviter, by who made the invite's secret."""

from __future__ import annotations

import pytest

from envkeep import crypto
from envkeep.client.invite_codes import invite_code, split_invite_code
from envkeep.client.invite_proofs import _Kept, _proves
from envkeep.core.errors import UsageError

INVITE_ID = "2a1b3c4d-0000-4000-8000-000000000000"


def test_an_invite_code_splits_even_when_its_secret_holds_underscores() -> None:
    server_made = split_invite_code(f"ek_inv_{INVITE_ID}_a_b-c_")
    made_here = split_invite_code(invite_code(INVITE_ID, "a_b-c_"))

    assert (server_made.invite_id, server_made.secret, server_made.v2) == (
        INVITE_ID,
        "a_b-c_",
        False,
    )
    assert (made_here.invite_id, made_here.secret, made_here.v2) == (INVITE_ID, "a_b-c_", True)


def test_the_server_is_sent_a_made_here_secret_only_as_its_accept_key() -> None:
    made_here = split_invite_code(invite_code(INVITE_ID, "s3cret"))
    server_made = split_invite_code(f"ek_inv_{INVITE_ID}_s3cret")

    assert made_here.sent == f"ek_inv_{INVITE_ID}_{crypto.invite_accept_key('s3cret')}"
    assert "s3cret" not in made_here.sent
    assert server_made.sent == f"ek_inv_{INVITE_ID}_s3cret"  # the server made it: it knows it


@pytest.mark.parametrize("code", ["nope", f"ek_inv_{INVITE_ID}", f"ek_inv_{INVITE_ID}x", "ek_inv_"])
def test_anything_else_is_refused_with_a_hint(code: str) -> None:
    with pytest.raises(UsageError):
        split_invite_code(code)


KEYS = crypto.generate_keys().public()
OTHER = crypto.generate_keys().public()


@pytest.mark.parametrize(
    ("made_here", "proof", "shows"),
    [
        # An invite made here: only its v2 proof, for that email and those keys, proves them.
        (True, crypto.invite_key_proof("s", INVITE_ID, "bob@x.io", KEYS), True),
        (True, crypto.legacy_invite_key_proof("s", KEYS), None),  # an older joiner: nothing
        (True, crypto.invite_key_proof("s", INVITE_ID, "carol@x.io", KEYS), False),  # another's
        (True, crypto.invite_key_proof("s", INVITE_ID, "bob@x.io", OTHER), False),  # swapped
        (True, "0" * 64, False),
        # A secret the server made (kept by an envkeep before 0.2): no proof proves anything.
        (False, crypto.invite_key_proof("s", INVITE_ID, "bob@x.io", KEYS), None),
        (False, crypto.legacy_invite_key_proof("s", KEYS), None),
        (False, crypto.legacy_invite_key_proof("s", OTHER), False),
    ],
    ids=[
        "v2",
        "older joiner",
        "another invitee",
        "swapped keys",
        "garbage",
        "server-made v2",
        "server-made legacy",
        "server-made swapped",
    ],
)
def test_what_a_proof_shows_depends_on_who_made_the_secret(
    made_here: bool, proof: str, shows: bool | None
) -> None:
    kept = _Kept("s", "bob@x.io" if made_here else None, made_here=made_here)

    assert _proves(kept, INVITE_ID, "Bob@x.io", KEYS, proof) is shows
