"""Members: grants, revocations, key rotations, invites and account resets.
Bytes travel as base64url text."""

from __future__ import annotations

from pydantic import Field

from envkeep.api.encoding import B64
from envkeep.api.schemas._body import Body
from envkeep.api.schemas.accounts import Principal
from envkeep.api.schemas.environments import SecretWrite


class NewShare(Body):
    environment_id: str
    key_version: int
    recipient_id: str
    sealed: B64


class Grant(Body):
    principal_id: str
    role: str
    project: str | None = None
    environment: str | None = None
    shares: list[NewShare] = []


class Revoke(Body):
    principal_id: str
    project: str | None = None
    environment: str | None = None


class AffectedEnvironment(Body):
    """An environment whose data key the caller's client rotates after a revocation."""

    project: str
    environment: str
    environment_id: str


class Revoked(Body):
    """What taking rights away did (a grant that lowers a role too): the environments whose
    keys to rotate, and the tokens that ended with those rights."""

    environment_ids: list[str]
    environments: list[AffectedEnvironment] = []
    tokens_revoked: list[str] = []


class Granted(Revoked):
    """What a grant did: as `Revoked` (a grant that lowers a role ends tokens), and how many
    key shares it stored (a share of a key the grantee held already is not stored again)."""

    shares_stored: int


class Member(Body):
    principal: Principal
    role: str
    project: str | None
    environment: str | None
    keys_missing: int = 0  # environments it opens whose current key it was not given yet
    expired: bool = False  # a token none of whose tokens works now (revoked or past expiry)


class ScopeEnvironment(Body):
    project: str
    environment: str
    key_version: int
    environment_id: str


class Rotation(Body):
    new_key_version: int
    shares: list[NewShare]
    writes: list[SecretWrite] = Field(default=[], max_length=20_000)
    # Readers the rotating client left out on purpose: their keys it does not trust (a key
    # changed since pinned, one no proof of its invite covers). They hold no share of the new
    # key until an admin seals it (`member seal`); a reader neither given a share nor named
    # here (one granted meanwhile) still refuses the rotation. Sent only when not empty, so
    # a server older than the field is sent what it knows.
    left_out: list[str] = Field(default=[], max_length=10_000)


class NewInvite(Body):
    email: str = Field(max_length=320)
    role: str
    project: str | None = None
    environment: str | None = None
    # The SHA-256 (hex) of the key the inviter's client derived from the secret it made and
    # keeps (`crypto.invite_accept_key`); without it (an envkeep before 0.2) the server makes
    # the secret, and answers with the code.
    accept_hash: str | None = Field(default=None, pattern="^[0-9a-f]{64}$")


class ResetAccount(Body):
    """`member reset`: whose account, and the role its reset code gives back (as an invite's
    fields; the email is the account's)."""

    principal_id: str | None = None  # or, for an account reset before (disabled), its email
    email: str | None = Field(default=None, max_length=320)
    role: str
    project: str | None = None
    environment: str | None = None
    accept_hash: str | None = Field(default=None, pattern="^[0-9a-f]{64}$")


class ResetCheck(Body):
    """`member reset` asking whether the server would refuse the reset, before it asks its
    user to go ahead: the account, as `ResetAccount` names it, and the role (named in the
    refusal of one's own reset)."""

    principal_id: str | None = None
    email: str | None = Field(default=None, max_length=320)
    role: str


class AccountReset(Revoked):
    """A reset's answer: what its removal asks the client to rotate (`Revoked`), the reset
    invite (its id, or its code when the server made its secret), and the sessions ended."""

    invite_id: str
    code: str | None = None
    sessions_ended: int


class InviteCode(Body):
    """The new invite: its code when the server made its secret, else its id (the inviter's
    client writes the code)."""

    code: str | None = None
    id: str | None = None


class PendingInvite(Body):
    """An invite nobody accepted yet; ``expired`` by the server's clock."""

    id: str
    email: str
    role: str
    project: str | None
    environment: str | None
    created_at: str
    expires_at: str
    expired: bool
    invited_by: str | None = None  # a member's email, or token NAME
