"""Invite codes, client side: the code an invitee is given for an invite made here, and its
parts as the joining client reads them (what the server is sent, and the proof of the
invitee's keys for the inviter)."""

from __future__ import annotations

from dataclasses import dataclass, field

from envkeep import crypto
from envkeep.core.errors import UsageError

_CODE = "ek_inv_"  # every code's (and what the server is sent)
_V2 = "v2_"  # after it: a code whose secret the inviter's client made, and the server never saw


def invite_code(invite_id: str, secret: str) -> str:
    """The code an invitee is given for an invite made here: ``ek_inv_v2_<id>_<secret>``. The
    mark tells the joining client to send the server only the accept key; an envkeep before
    0.2 refuses the code (it would send the secret, and let the server prove keys of its own)."""
    return f"{_CODE}{_V2}{invite_id}_{secret}"


@dataclass(frozen=True)
class InviteCode:
    """An invite code's parts. ``v2``: the inviter's client made the secret (the server has
    only the accept key's hash); else the server made it (the first admin's, or one an envkeep
    before 0.2 asked for), and knows it."""

    invite_id: str
    secret: str = field(repr=False)
    v2: bool

    @property
    def sent(self) -> str:
        """The code as the server is sent it: for a v2 code, the secret's accept key in the
        secret's place, so that the server never learns the key of the invitee's proof; a
        server-made secret as it is (the server knows it, and an older server takes only it)."""
        secret = crypto.invite_accept_key(self.secret) if self.v2 else self.secret
        return f"{_CODE}{self.invite_id}_{secret}"

    def proof(self, email: str, public: crypto.PublicKeys) -> str:
        """The proof of ``public`` for the inviter: under a key derived from the secret, of the
        invite, the invitee's email and keys (v2); for a server-made secret, as an envkeep
        before 0.2 made it (an inviter reads it as no proof, and an older one checks it)."""
        if self.v2:
            return crypto.invite_key_proof(self.secret, self.invite_id, email, public)
        return crypto.legacy_invite_key_proof(self.secret, public)


def split_invite_code(code: str) -> InviteCode:
    """The parts of ``ek_inv_[v2_]<uuid>_<secret>``; the secret may contain '_' itself."""
    text = code.strip()
    body = text.removeprefix(_CODE)
    v2 = body.startswith(_V2)
    body = body.removeprefix(_V2)
    invite_id, sep, secret = body[:36], body[36:37], body[37:]
    if not text.startswith(_CODE) or sep != "_" or not secret:
        raise UsageError(
            "that is not a whole envkeep invite code",
            hint="copy all of it: ek_inv_v2_, a 36-character id, '_' and the secret",
        )
    return InviteCode(invite_id, secret, v2)
