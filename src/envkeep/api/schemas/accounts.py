"""Accounts: joining, logging in, who one is, passphrases, sessions and workspaces.
Bytes travel as base64url text."""

from __future__ import annotations

from pydantic import Field

from envkeep.api.encoding import B64
from envkeep.api.schemas._body import Body


class KdfParams(Body):
    memory_kib: int
    iterations: int
    lanes: int


class AcceptInvite(Body):
    code: str = Field(max_length=200)
    email: str = Field(max_length=320)
    encryption_public: B64
    signing_public: B64
    wrapped_private_keys: B64
    kdf_salt: B64
    kdf: KdfParams
    auth_key: B64
    key_proof: str | None = Field(default=None, max_length=64)


class JoinInvite(Body):
    code: str = Field(max_length=200)
    key_proof: str | None = Field(default=None, max_length=64)


class PreloginRequest(Body):
    email: str = Field(max_length=320)


class Prelogin(Body):
    kdf_salt: B64
    kdf: KdfParams


class LoginRequest(Body):
    email: str = Field(max_length=320)
    auth_key: B64


class Session(Body):
    token: str
    principal_id: str
    email: str
    workspace_id: str | None
    wrapped_private_keys: B64
    encryption_public: B64
    signing_public: B64


class Principal(Body):
    id: str
    kind: str
    name: str
    encryption_public: B64
    signing_public: B64
    reset_by: str | None = None
    reset_at: str | None = None


class Reader(Principal):
    """One who may read an environment now: the principal (a rotated key is sealed to it),
    the highest role that opens the environment to it, and whether it holds a share of the
    current key. None from a server from before it said so."""

    role: str | None = None
    holds_key: bool | None = None


class Workspace(Body):
    id: str
    name: str
    role: str | None = None  # the highest role held there (whoami; none from `create`)
    level: str | None = None  # where it is held: workspace, project or environment


class Whoami(Body):
    principal: Principal
    workspaces: list[Workspace]


class PassphraseChange(Body):
    old_auth_key: B64
    new_auth_key: B64
    kdf_salt: B64
    kdf: KdfParams
    wrapped_private_keys: B64


class PassphraseCheck(Body):
    auth_key: B64


class SessionsEnded(Body):
    ended: int


class SessionInfo(Body):
    id: str
    kind: str
    created_at: str
    expires_at: str | None
    current: bool
    created_from: str | None = None
    last_used_at: str | None = None  # when last used, to within 5 minutes, where recorded
    user_agent: str | None = None  # the client it began with (its User-Agent), where recorded


class NewWorkspace(Body):
    name: str = Field(max_length=200)


class InviteProof(Body):
    invite_id: str
    key_proof: str
