"""The public keys this machine pinned (``ENVKEEP_HOME/known_keys.json``, 0600; DESIGN §4
Trust): each principal's key fingerprint on first use, and the account id a member's name was
first seen with. A changed key, or a known name on another account, is refused until `envkeep
member verify` accepts it. Several processes may pin at once (two `run`s reading first-seen
signers): every write merges into the file as it is then, under its lock."""

from __future__ import annotations

import contextlib
import json
import shlex
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from envkeep import crypto
from envkeep.client.pin_write_failures import move_aside, refused_write, unless_unwritable
from envkeep.client.principal_names import grant_name, shown_principal
from envkeep.core.errors import IntegrityError, NotAFile
from envkeep.core.files import exclusive, write_atomic

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping, Sequence
    from pathlib import Path

    from envkeep.app.views import PrincipalView
    from envkeep.client.context import ClientContext


def pins_file(ctx: ClientContext) -> Path:
    return ctx.settings.home / "known_keys.json"


def load_pins(ctx: ClientContext, *, to_update: bool = False) -> dict[str, str]:
    """The pinned keys: ``SERVER|ID`` → fingerprint, and ``SERVER|name|NAME`` → the id a
    member's name was first seen with."""
    return read_pin_file(
        pins_file(ctx),
        "the keys",
        "the keys are pinned again as they are first seen",
        to_update=to_update,
    )


def read_pin_file(path: Path, holds: str, again: str, *, to_update: bool = False) -> dict[str, str]:
    """A file of pins (a JSON object of strings; none when it is missing), or an
    IntegrityError naming what it ``holds`` and what moving it away means (``again``).

    One this user may not read (a CI job's HOME of another user) holds none for a check, as
    in a new home; read ``to_update`` it raises PermissionError, so that pins nobody could
    read are never written over with only the new ones. A directory in its place is refused
    (`directory_in_place`); read ``to_update``, its IsADirectoryError is raised for the
    writer to say, as any write it cannot make (raised, a token made would be lost)."""
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        return {}
    except IsADirectoryError:
        if to_update:  # a write's: said by the writer, as any it cannot make
            raise
        raise directory_in_place(path, holds, again) from None
    except PermissionError:
        if to_update:
            raise
        return {}
    except (ValueError, UnicodeDecodeError):
        found = None
    if not isinstance(found, dict):
        raise IntegrityError(
            f"{path} is damaged: it holds {holds} this machine pinned",
            hint=f"restore it from a backup; or move it away, and {again}",
        )
    return {str(k): str(v) for k, v in found.items()}


def directory_in_place(path: Path, holds: str, again: str) -> NotAFile:
    """The refusal of a directory where the file of pins ``path`` belongs: moved aside, not
    removed (what it holds is not envkeep's to delete)."""
    return NotAFile(
        f"{path} is a directory, not a file: it should hold {holds} this machine pinned",
        hint=f"{move_aside(path)}; then run this command again ({again})",
    )


def _replace(ctx: ClientContext, entries: Mapping[str, str]) -> None:
    """Write ``entries`` over the pins as they are on disk now, under the file's lock (another
    process's pins written since this one read them are kept): `member verify`'s accepted key,
    a key this client made."""
    with _pins_locked(ctx) as pins:
        pins.update(entries)


def _pin_first_seen(ctx: ClientContext, principals: Sequence[PrincipalView]) -> None:
    """Pin principals seen for the first time, compared and written under the file's lock: one
    another process pinned meanwhile with other keys is refused, as a changed key is."""
    with _pins_locked(ctx) as pins:
        for principal in principals:
            key, seen = pin_key(ctx, principal.id), fingerprint_of(principal)
            if pins.get(key, seen) != seen:
                raise changed_key(principal, pins[key], seen)
            pins[key] = seen
            pins.setdefault(name_key(ctx, principal.name), principal.id)


@contextlib.contextmanager
def _pins_locked(ctx: ClientContext) -> Iterator[dict[str, str]]:
    """The pins as on disk, to change in place; written back (atomically) unless the block
    raised, all under the file's lock."""
    path = pins_file(ctx)
    with exclusive(path):
        pins = load_pins(ctx, to_update=True)
        yield pins
        write_atomic(path, json.dumps(pins, indent=2).encode(), mode=0o600, private_parents=True)


def pin_key(ctx: ClientContext, principal_id: str) -> str:
    return f"{ctx.server_url}|{principal_id}"


def name_key(ctx: ClientContext, name: str) -> str:
    return f"{ctx.server_url}|name|{name}"


def pin(ctx: ClientContext, principal_id: str, fingerprint: str, name: str | None = None) -> None:
    """Trust ``fingerprint`` for the principal from now on (known_keys.json, 0600), and
    ``name`` as its name."""
    entries = {pin_key(ctx, principal_id): fingerprint}
    if name is not None:
        entries[name_key(ctx, name)] = principal_id
    try:
        _replace(ctx, entries)
    except OSError as failed:  # its one change: refused, not a traceback
        from envkeep.client.pin_lock_links import refuse_if_linked

        unpinned = "the key was not pinned: nothing was changed"
        refuse_if_linked(pins_file(ctx), unpinned)
        raise refused_write(pins_file(ctx), failed, unpinned) from None


def fingerprint_of(principal: PrincipalView) -> str:
    return crypto.PublicKeys(principal.encryption_public, principal.signing_public).fingerprint()


def pin_made_here(ctx: ClientContext, principal_id: str, public: crypto.PublicKeys) -> None:
    """Pin the keys of a principal this client made (a service account's): nothing to check.
    This command may seal to them whatever ENVKEEP_SIGNERS lists (``ctx.made_here``): `token
    rotate` seals the keys it rotates to the token it just made."""
    ctx.made_here[principal_id] = public.fingerprint()
    said = (
        "the keys of the token this command made were not pinned: they are taken on first"
        " sight, as a stranger's are"
    )
    # Made on the server already: raised, the command would lose the token it made.
    with unless_unwritable(pins_file(ctx), said, ctx.warn_once, always=True):
        _replace(ctx, {pin_key(ctx, principal_id): public.fingerprint()})


def changed_key(principal: PrincipalView, pinned: str, seen: str) -> IntegrityError:
    """A principal's key, pinned here, that the server shows changed: refused until `member
    verify` accepts the new one."""
    reset = ""
    if principal.reset_by and principal.reset_at:
        reset = f": the server says {principal.reset_by} reset their account"
        reset += f" ({_in_utc(principal.reset_at)})"
    return IntegrityError(
        f"the public key of {shown_principal(principal)} CHANGED{reset}"
        f" ({fingerprints_shown(pinned, seen)})",
        hint=verify_hint(principal),
    )


def _in_utc(moment: str) -> str:
    """A time the server gave, as UTC to the minute (a PostgreSQL session not on UTC gives it
    in its own zone); as given when it does not read as a time."""
    try:
        parsed = datetime.fromisoformat(moment)
    except ValueError:
        return moment[:32]
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def fingerprints_shown(pinned: str | None, seen: str) -> str:
    """The key this machine pinned for a principal beside the one the server shows now, as
    refusals name them (both as `whoami --fingerprint` prints them)."""
    if pinned is None:
        return f"none pinned on this machine; shown by the server now: {seen}"
    return f"pinned on this machine: {pinned}; shown by the server now: {seen}"


def verify_hint(principal: PrincipalView) -> str:
    """What to do about a key this machine cannot trust yet: compare it out of band, then
    accept it with what they read out (typed, never the server's own, pasted unchecked)."""
    return (
        "ask them to read out what 'envkeep whoami --fingerprint' shows them (by phone or in"
        " person, not through this server); only if it is the one the server shows now, run: "
        + shlex.join(["envkeep", "member", "verify", grant_name(principal), "--fingerprint"])
        + " 'WHAT THEY READ OUT'"
    )


def check_pin(ctx: ClientContext, principal: PrincipalView) -> tuple[crypto.PublicKeys, bool]:
    """The principal's keys if they match the pinned ones (pinning them on first use), and
    whether they are pinned here now (False: the pin could not be written, said already).
    Keys this command made (`pin_made_here`) are not pinned again: a pin that failed there (a
    home it cannot write) failed the rotations `token rotate` makes after the server replaced
    the token."""
    pinned = load_pins(ctx).get(pin_key(ctx, principal.id))
    seen = fingerprint_of(principal)
    keys = crypto.PublicKeys(principal.encryption_public, principal.signing_public)
    if pinned is None and ctx.made_here.get(principal.id) == seen:
        return keys, False
    if pinned is not None and pinned != seen:
        raise changed_key(principal, pinned, seen)
    if pinned is not None:
        return keys, True
    said = (
        f"the key of {shown_principal(principal)}, seen here first, was not pinned: it is"
        " taken on first sight again"
    )
    with unless_unwritable(pins_file(ctx), said, ctx.warn_once, always=True) as write:
        _pin_first_seen(ctx, [principal])
    return keys, write.written


def check_signers(
    ctx: ClientContext,
    principals: Iterable[PrincipalView],
    listed: frozenset[str] | None = None,
) -> None:
    """Refuse what the server sent if it names a signer (a version's author, a data key's
    sharer) by keys other than the ones this client pinned for it, a member by an account id
    other than the one its name was first seen with, or this reader by keys other than its
    own: a server could otherwise sign values of its own making for them. Every entry is
    checked (one id given two key sets is refused). A signer seen for the first time is
    pinned (DESIGN §4, Trust), as `member grant` pins a grantee, with a note giving its
    fingerprint to compare; a home that cannot be written still reads, pinning nothing.
    With ``listed`` (ENVKEEP_SIGNERS), every signer but this reader must have one of those
    fingerprints, and a first-seen one is pinned without a note: it was compared already. The
    embedded store's reads come here only with a list (its values are this identity's own)."""
    pins = load_pins(ctx)
    mine = ctx.identity.principal_id
    first_seen: dict[str, PrincipalView] = {}
    for principal in principals:
        seen = fingerprint_of(principal)
        if principal.id == mine:
            own = ctx.identity.record.public.fingerprint()
            if seen != own:
                raise _own_key_swapped(ctx, seen, own)
            continue
        pinned = pins.get(pin_key(ctx, principal.id))
        if pinned is None and principal.id in first_seen:
            pinned = fingerprint_of(first_seen[principal.id])
        if pinned is not None and pinned != seen:
            raise changed_key(principal, pinned, seen)
        if listed is not None and seen not in listed:
            raise _unlisted(ctx, principal, seen)
        if pinned is None:
            _check_name(ctx, pins, principal)
            first_seen[principal.id] = principal
    if not first_seen:
        return
    said = "the signers' keys this command saw first were not pinned"
    with unless_unwritable(pins_file(ctx), said, ctx.warn_once):  # read all the same
        _pin_first_seen(ctx, list(first_seen.values()))
    for principal in first_seen.values():
        if ctx.notify is not None and listed is None:
            ctx.notify(
                f"note: first values signed by {shown_principal(principal)} read here; their"
                f" key's fingerprint is {fingerprint_of(principal)}: compare it with what"
                " 'envkeep whoami --fingerprint' shows them"
            )


def _own_key_swapped(ctx: ClientContext, seen: str, own: str) -> IntegrityError:
    if ctx.server_url is None:
        return IntegrityError(
            f"the embedded store shows your own key as {seen}, not yours ({own}): what it holds"
            " as signed by you was not; nothing was read",
            hint=_STORE_ALTERED,
        )
    return IntegrityError(
        f"the server shows your own key as {seen}, not yours ({own}): what it sent as signed"
        " by you was not; nothing was read",
        hint="tell your workspace's admins: the server or the network in between is not to be"
        " trusted",
    )


def _unlisted(ctx: ClientContext, principal: PrincipalView, seen: str) -> IntegrityError:
    """A signer whose key ENVKEEP_SIGNERS leaves out. On the embedded store, whose values this
    identity alone signs, one is there only if someone altered its file."""
    who = shown_principal(principal)
    if ctx.server_url is None:
        return IntegrityError(
            f"{who} signed what the embedded store holds with a key ENVKEEP_SIGNERS does not"
            f" list ({seen}), and only you sign its values; nothing was read",
            hint=_STORE_ALTERED,
        )
    return IntegrityError(
        f"{who} signed what the server sent with a key ENVKEEP_SIGNERS does not list ({seen});"
        " nothing was read",
        hint=_CHECK_A_SERVICE_KEY if principal.kind == "service" else _ADD_TO_LIST,
    )


_ADD_TO_LIST = (
    "ask them what 'envkeep whoami --fingerprint' shows them (by phone or in person, not"
    " through this server); only if it is this one, add it to ENVKEEP_SIGNERS"
)
# A token has no one to ask: its key is shown where the token is kept (a CI secret), by
# `whoami --fingerprint` run with it, without this server's word for it.
_CHECK_A_SERVICE_KEY = (
    "where that token is kept, run 'envkeep whoami --fingerprint' with it as ENVKEEP_TOKEN (or"
    " ask whoever keeps it); only if it shows this one, add it to ENVKEEP_SIGNERS"
)
_STORE_ALTERED = (
    "someone who could write this machine's store (ENVKEEP_HOME/store) changed it: restore it"
    " from a backup"
)


def unlisted_recipient(
    principal: PrincipalView, seen: str, sealed: str, *, pinned: bool
) -> IntegrityError:
    """A key ENVKEEP_SIGNERS does not list, which ``sealed`` (what was to be sealed: "prod's
    key") was to be sealed to: refused, as `_unlisted` refuses a signer, whether or not this
    machine pinned it (``pinned``): the list is all that a command run with it trusts."""
    where = (
        "; it is pinned on this machine, but the list is all that is trusted"
        if pinned
        else " and this machine has not pinned"
    )
    return IntegrityError(
        f"{shown_principal(principal)} has a key ENVKEEP_SIGNERS does not list ({seen}){where};"
        f" {sealed} was not sealed to it",
        hint="ask them to read out what 'envkeep whoami --fingerprint' shows them (by phone or"
        " in person, not through this server) and check it: "
        + shlex.join(["envkeep", "member", "verify", grant_name(principal), "--fingerprint"])
        + " 'WHAT THEY READ OUT'; only if it matches, add it to ENVKEEP_SIGNERS; or unset"
        " ENVKEEP_SIGNERS to seal to the keys this machine trusts without it",
    )


def _check_name(ctx: ClientContext, pins: dict[str, str], principal: PrincipalView) -> None:
    """A member's name first seen with another account id: refused, as a changed key is (a
    server could make up an account under a known name). A token's name passes to the new
    account `token rotate` makes."""
    known = pins.get(name_key(ctx, principal.name))
    if known is None or known == principal.id or principal.kind == "service":
        return
    raise IntegrityError(
        f"{shown_principal(principal)} signs with an account this machine has not seen (was"
        f" {known}, now {principal.id}; key {fingerprint_of(principal)})",
        hint=verify_hint(principal),
    )
