"""What an invite made on this machine proves about the invitee's keys (DESIGN §4, Trust).

The inviter keeps each invite's secret (``ENVKEEP_HOME/invites.json``, 0600); the joining
client sends an HMAC of its public keys under that secret, which the server stores with the
accepted invite. Only `member reset` changes an account's keys once it has made them (a
passphrase change re-wraps the same keys; `token rotate` makes a new account), and the server
then lists only the proofs made since (the reset code's own), so keys the server shows for an
invitee that such a proof does not match were swapped in: nothing is sealed to them, and
`member verify` pins nothing for them. Keys pinned here before a reset are refused as changed
until `member verify`, proof or not.
"""

from __future__ import annotations

import contextlib
import json
import shlex
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from envkeep import crypto
from envkeep.client.pin_lock_links import linked_lock, mend
from envkeep.client.pin_write_failures import failure_reason
from envkeep.client.pins import (
    fingerprint_of,
    fingerprints_shown,
    load_pins,
    pin_key,
    verify_hint,
)
from envkeep.client.principal_names import grant_name, shown_principal
from envkeep.client.team_server import team_backend
from envkeep.core.errors import ConflictError, IntegrityError, PermissionDenied
from envkeep.core.files import exclusive, write_atomic

if TYPE_CHECKING:
    from pathlib import Path

    from envkeep.app.views import PrincipalView
    from envkeep.client.context import ClientContext


def _invites_file(ctx: ClientContext) -> Path:
    return ctx.settings.home / "invites.json"


@dataclass(frozen=True)
class _Kept:
    """An invite's secret kept here. ``made_here``: this client made it (`members.invite`,
    since 0.2), so the server never saw it; else the server made it (kept by an envkeep
    before 0.2), and a proof under it proves nothing. ``where``: the server and workspace it
    was made in; None when kept by an envkeep that did not record them."""

    secret: str = field(repr=False)
    email: str | None
    made_here: bool
    where: tuple[str, str] | None = None

    def made_in(self, where: tuple[str | None, str | None]) -> bool:
        """Whether it may have been made in ``where`` (server, workspace): one kept without
        them may have been made anywhere, so it counts everywhere, as it did before they were
        kept (counting it where it was not made costs a `member verify`; not counting it where
        it was would let a server that swapped the keys of someone invited before this
        envkeep, and hid the proof, have them pinned on first sight)."""
        return self.where is None or self.where == where


def _kept(ctx: ClientContext) -> dict[str, _Kept]:
    """Invite id → each invite's secret kept on this machine."""
    found = _entries(_invites_file(ctx))
    kept = {}
    for invite_id, entry in found.items():
        if isinstance(entry, str):  # as an envkeep before 0.2 kept it: the server's secret
            kept[invite_id] = _Kept(entry, None, made_here=False)
        elif isinstance(entry, dict) and isinstance(entry.get("secret"), str):
            email = entry.get("email")
            made = entry.get("made_here") is True
            server, workspace = entry.get("server"), entry.get("workspace")
            where = None  # an envkeep that did not record them
            if isinstance(server, str) and isinstance(workspace, str):
                where = (server, workspace)
            kept[invite_id] = _Kept(
                entry["secret"], email if isinstance(email, str) else None, made, where
            )
    return kept


def _here(ctx: ClientContext) -> tuple[str | None, str | None]:
    """The server and workspace this command talks to, as an invite made here records them."""
    return ctx.server_url, ctx.workspace_id


def _entries(path: Path) -> dict[str, object]:
    """The file's entries as written, by invite id (none before the first invite)."""
    return dict(json.loads(path.read_text())) if path.exists() else {}


def check_invite_secrets_kept(ctx: ClientContext, made: str) -> None:
    """Refuse (ConflictError), before the server makes an invite (``made``: "no invite was
    made"), when its secret could not be kept here: the invites file's lock cannot be taken
    (a link, a read-only home) or the file cannot be read."""
    path = _invites_file(ctx)
    try:
        with exclusive(path):
            _entries(path)
    except (OSError, ValueError, TypeError) as failed:
        lock = linked_lock(path)
        if lock is not None:
            hint = f"{mend(lock)}, then run this command again"
        elif isinstance(failed, OSError):
            hint = f"make {path} (and its lock file) writable for this user, then run this"
            hint += " command again"
        else:  # its text is no JSON object: the pending invites' secrets in it are lost
            hint = f"move {path} aside (invites made here before cannot be checked against"
            hint += " it: verify their members' fingerprints), then run this command again"
        raise ConflictError(
            f"{path} cannot be written ({_reason(failed)}), and an invite's secret is kept"
            f" there; {made}",
            hint=hint,
        ) from None


def keep_invite_secret(ctx: ClientContext, invite_id: str, secret: str, email: str) -> None:
    """Keep the secret of an invite made here (for ``email``, in this server's workspace), to
    check the keys its invitee registers with it. The server made the invite already: a
    secret that cannot be kept is said (``ctx.warn_once``), not raised, so that its code is
    still shown (`check_invite_secrets_kept` refused what it could beforehand)."""
    path = _invites_file(ctx)
    server, workspace = _here(ctx)
    try:
        with exclusive(path):  # two invites made at once each keep their secret
            kept = _entries(path)  # an older envkeep's entries kept as they are
            kept[invite_id] = {
                "secret": secret,
                "email": email,
                "made_here": True,
                "server": server,
                "workspace": workspace,
            }
            text = json.dumps(kept, indent=2).encode()
            write_atomic(path, text, mode=0o600, private_parents=True)
    except (OSError, ValueError, TypeError) as failed:
        ctx.warn_once(
            f"warning: the code's secret was not kept in {path} ({_reason(failed)}), so the"
            f" keys {email} joins with cannot be checked against it here: before sealing them"
            " anything, compare fingerprints out of band (they run: envkeep whoami"
            " --fingerprint), then: "
            + shlex.join(["envkeep", "member", "verify", email, "--fingerprint"])
            + " 'WHAT THEY READ OUT'"
        )


def _reason(failed: Exception) -> str:
    return failure_reason(failed) if isinstance(failed, OSError) else "it is damaged"


def check_invite_proof(ctx: ClientContext, principal: PrincipalView, refused: str) -> bool:
    """True when an invite made here proves these are the keys the invitee registered; an
    IntegrityError (whose message ends with ``refused``: what was not done) when any invite
    made here proves they are not; False when no invite of ours covers them. The answer for
    these keys is asked once per command (`ClientContext.invite_proofs`); a refusal, each time.
    """
    kept = _kept(ctx)
    if not kept:  # no invite made here: nothing to prove or disprove
        return False
    public = crypto.PublicKeys(principal.encryption_public, principal.signing_public)
    asked = (principal.id, principal.name, public.encryption + public.signing)
    known = ctx.invite_proofs.get(asked)
    if known is not None:
        return known
    backend = team_backend(ctx)
    proofs = backend.api.request(
        "GET", f"/v1/workspaces/{backend.workspace_id}/principals/{principal.id}/invite-proofs"
    )
    checked = [
        _proves(kept[p["invite_id"]], p["invite_id"], principal.name, public, p["key_proof"])
        for p in proofs
        if p["invite_id"] in kept
    ]
    if False in checked:
        raise not_registered(ctx, principal, refused)
    ctx.invite_proofs[asked] = True in checked
    return ctx.invite_proofs[asked]


def _proves(
    kept: _Kept, invite_id: str, name: str, public: crypto.PublicKeys, proof: object
) -> bool | None:
    """Whether an invitee's proof shows these are the keys it registered: True, False (they
    are not), or None when it shows nothing either way: a proof under a secret the server
    made, and so knows; or one made the way an envkeep before 0.2 made it, under the secret
    itself, which that client also sent the server. A v2 proof binds the invitee's email, so
    one made by another invitee, shown for this account, is refused."""
    email = name.strip().lower()
    if proof == crypto.invite_key_proof(kept.secret, invite_id, email, public):
        # Only under a secret made here, for whom it was made: the server could have made
        # one under a secret of its own.
        return True if kept.made_here and kept.email in (None, email) else None
    if proof == crypto.legacy_invite_key_proof(kept.secret, public):
        return None
    return False


def invited_here(ctx: ClientContext, principal: PrincipalView) -> bool:
    """Whether this machine made an invite (since 0.2, so a proof under it shows the keys the
    invitee registered) for ``principal``'s email, on this server and in this workspace (an
    invite made elsewhere says nothing of who joined here). Keys first seen for such a
    principal that no proof of ours covers are the server's word alone: it can leave a proof
    out as easily as it can swap the keys, so they are not sealed to before they are
    compared."""
    email = principal.name.strip().lower()
    mine = [k for k in _kept(ctx).values() if k.made_here and k.email == email]
    if not mine:  # most keys: no invite of ours, and no need to know where this command is
        return False
    here = _here(ctx)
    return any(k.made_in(here) for k in mine)


def unproven_invitee(principal: PrincipalView, sealed: str) -> IntegrityError:
    """The keys the server shows for someone this machine invited come with no proof."""
    who = shown_principal(principal)
    seal = shlex.join(["envkeep", "member", "seal", grant_name(principal)])
    return IntegrityError(
        f"you invited {who} from this machine, but the server shows no proof from that invite"
        f" for the keys it gives for them ({fingerprint_of(principal)}): it may have swapped"
        f" their keys and left the proof out; {sealed} was not sealed to them",
        hint="if they joined with another admin's invite, that is expected: "
        f"{verify_hint(principal)}; then: {seal}",
    )


def refuse_disproved_keys(ctx: ClientContext, principal: PrincipalView) -> None:
    """Refuse to pin keys that an invite made here disproves (`member verify`). A caller who
    may not see the proofs (no admin any more) is not refused: a server can always leave a
    proof out, so its refusal to show them hides nothing a server could not hide anyway."""
    with contextlib.suppress(PermissionDenied):
        check_invite_proof(ctx, principal, "nothing was pinned")


def not_registered(ctx: ClientContext, principal: PrincipalView, refused: str) -> IntegrityError:
    """The keys the server shows for ``principal`` are not those its invite proves."""
    pinned = load_pins(ctx).get(pin_key(ctx, principal.id))
    who, name = shown_principal(principal), grant_name(principal)
    return IntegrityError(
        f"the keys the server shows for {who} are not the ones they registered with your"
        f" invite ({fingerprints_shown(pinned, fingerprint_of(principal))}); {refused}",
        hint="do not share anything with this account: the server, or someone with access to"
        " it, swapped their keys, or the account is not the person you invited; remove it"
        f" ({shlex.join(['envkeep', 'member', 'remove', name])}) and invite them again;"
        " before granting, compare fingerprints out of band (they run: envkeep whoami"
        " --fingerprint)",
    )
