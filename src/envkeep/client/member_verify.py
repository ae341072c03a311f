"""`envkeep member verify`: accept a member's key once its fingerprint was compared out of band.

Public keys come from the server and are pinned on first use (``known_keys.json``, `pins`); a
changed one is refused until this accepts it. It pins only the key the server presents, and
only when that is the fingerprint given (what the member read out): a mismatch pins nothing,
and its refusal labels each fingerprint (pinned on this machine, shown by the server, given),
so that the server's never reads as the member's own, nor as the one to type next.
"""

from __future__ import annotations

import contextlib
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.client.invite_proofs import refuse_disproved_keys
from envkeep.client.members import lookup
from envkeep.client.pins import (
    fingerprint_of,
    fingerprints_shown,
    load_pins,
    name_key,
    pin,
    pin_key,
)
from envkeep.client.principal_names import grant_name, shown_principal
from envkeep.client.team_server import team_backend
from envkeep.core.errors import IntegrityError, NotFoundError, PermissionDenied, UsageError

if TYPE_CHECKING:
    from envkeep.app.views import PrincipalView
    from envkeep.client.context import ClientContext


_FINGERPRINT_DIGITS = 32


def _hex_digits(fingerprint: str) -> str:
    """A fingerprint as it is compared: its hex digits, lower case (spaces, colons, dashes and
    case are how someone reads or types it)."""
    digits = "".join(c for c in fingerprint.lower() if c not in " :-\t")
    if len(digits) != _FINGERPRINT_DIGITS or any(c not in "0123456789abcdef" for c in digits):
        raise UsageError(
            f"'{fingerprint.strip()}' is not a key fingerprint: one is 32 hex digits, shown in"
            " groups of four",
            hint="ask them to read out what 'envkeep whoami --fingerprint' shows",
        )
    return digits


@dataclass(frozen=True)
class Verified:
    """What `member verify` did: the fingerprint of the key it accepted, and the one pinned on
    this machine before (None: none; the same: nothing changed)."""

    fingerprint: str
    before: str | None

    @property
    def unchanged(self) -> bool:
        return self.before == self.fingerprint


def verify_member(ctx: ClientContext, name: str, fingerprint: str) -> Verified:
    """Accept a member's current key after checking its fingerprint out of band; refused
    when an invite made here proves they registered other keys (no command changes an
    account's keys: the server swapped them, and what they read out may be what it told
    them), and when the key the server presents is not the one given (`_not_the_one_given`):
    nothing is pinned then."""
    given = _hex_digits(fingerprint)
    principal = _to_verify(ctx, name)
    refuse_disproved_keys(ctx, principal)
    seen = fingerprint_of(principal)
    pinned = load_pins(ctx).get(pin_key(ctx, principal.id))
    if _hex_digits(seen) != given:
        raise _not_the_one_given(principal, _grouped(given), pinned, seen)
    pin(ctx, principal.id, seen, principal.name)
    return Verified(seen, pinned)


def _grouped(digits: str) -> str:
    """32 hex digits as fingerprints are shown (`whoami --fingerprint`): groups of four."""
    return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))


_ASK_AGAIN = (
    "ask them again what 'envkeep whoami --fingerprint' shows them (by phone or in person, not"
    " through this server)"
)
_NOT_THEIRS = (
    "tell your workspace's admins (the server, or the network in between, is not to be"
    " trusted), and share nothing with this account meanwhile"
)


def _not_the_one_given(
    principal: PrincipalView, given: str, pinned: str | None, seen: str
) -> IntegrityError:
    """The refusal of a key the server presents that is not the one given, each fingerprint
    labelled (none reads as the member's own key), nothing changed. Its hint never shows the
    server's fingerprint as the one to type: what they read out is."""
    who = shown_principal(principal)
    shown = f"({fingerprints_shown(pinned, seen)}; you gave: {given}); nothing was changed"
    if pinned == given:  # they read out the key pinned here: the server presents another
        return IntegrityError(
            f"the key the server presents for {who} does NOT match the one pinned on this"
            f" machine, which is the fingerprint you gave {shown}",
            hint="do not trust the key the server presents: if they read out that fingerprint"
            f" to you, it is not theirs; {_NOT_THEIRS}",
        )
    if pinned == seen:  # the key pinned here, and not the one they read out
        return IntegrityError(
            f"the key the server presents for {who}, the one pinned on this machine, does NOT"
            f" match the fingerprint you gave {shown}",
            hint=f"{_ASK_AGAIN}; if it is still not the pinned one, that key is not theirs:"
            f" {_NOT_THEIRS}",
        )
    nor = "" if pinned is None else " the one pinned on this machine, nor"
    command = shlex.join(["envkeep", "member", "verify", grant_name(principal), "--fingerprint"])
    return IntegrityError(
        f"the key the server presents for {who} does NOT match{nor} the fingerprint you gave"
        f" {shown}",
        hint=f"do not trust it, nor copy its fingerprint from here: {_ASK_AGAIN}; only if what"
        f" they read out is the one the server presents (their new key), pin it with: {command}"
        " 'WHAT THEY READ OUT'",
    )


def _to_verify(ctx: ClientContext, name: str) -> PrincipalView:
    """The principal ``name`` names, with the keys the server shows now. Looking a name up is
    for admins (they grant to it), and finds members only; anyone verifies the signers it has
    pinned (what it read), each looked up by id (the server shows a principal's keys to those
    who share a workspace with it)."""
    try:
        return lookup(ctx, name)
    except (PermissionDenied, NotFoundError) as refused:
        found = _pinned_named(ctx, name)
        if found is None:
            raise type(refused)(
                f"{name} is not among the signers this machine has pinned, and {refused.message}",
                hint="read something they wrote first (it pins their key), or ask an admin",
            ) from None
        return found


def _pinned_named(ctx: ClientContext, name: str) -> PrincipalView | None:
    from envkeep.api import schemas
    from envkeep.client.answers import read_answer
    from envkeep.client.http import principal_view

    for principal_id in _pinned_ids(ctx, name):
        with contextlib.suppress(NotFoundError):
            data = team_backend(ctx).api.request("GET", f"/v1/principals/{principal_id}")
            found = principal_view(read_answer(schemas.Principal, data))
            if name.strip().lower() == found.name or name == grant_name(found):
                return found
    return None


def _pinned_ids(ctx: ClientContext, name: str) -> list[str]:
    """The ids of the principals this machine pinned, the one first seen under ``name`` (an
    email) first: a member's email is looked up with one request, a token's name (pinned under
    the account's own name) by asking for each pinned principal in turn."""
    pins = load_pins(ctx)
    prefix = pin_key(ctx, "")
    pinned = [
        key[len(prefix) :]
        for key in pins
        if key.startswith(prefix) and not key[len(prefix) :].startswith("name|")
    ]
    first = pins.get(name_key(ctx, name.strip().lower()))
    if first is None or first not in pinned:
        return pinned
    return [first, *(principal_id for principal_id in pinned if principal_id != first)]
