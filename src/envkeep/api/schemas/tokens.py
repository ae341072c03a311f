"""Service-account tokens. Bytes travel as base64url text."""

from __future__ import annotations

from pydantic import Field

from envkeep.api.encoding import B64
from envkeep.api.schemas._body import Body
from envkeep.api.schemas.accounts import Principal
from envkeep.api.schemas.members import AffectedEnvironment, NewShare


class TokenKeys(Body):
    """A new service account's keys, token hash and shares, made by the caller's client."""

    principal_id: str
    encryption_public: B64
    signing_public: B64
    wrapped_private_keys: B64
    token_hash: str = Field(min_length=64, max_length=64)
    expires_at: str | None = None
    shares: list[NewShare] = []


class NewToken(TokenKeys):
    """A new token; ``expires_at`` None and ``never_expires`` false: the server's maximum
    lifetime where it has one (`token_max_lifetime`), else never."""

    name: str = Field(max_length=100)
    role: str
    project: str | None = None
    environment: str | None = None
    never_expires: bool = False


class TokenCreated(Body):
    expires_at: str | None  # when the new token expires (None: never)
    at_maximum: bool = False  # the server's maximum lifetime chose it (none was asked)


class TokenInfo(Body):
    principal: Principal
    label: str
    role: str | None  # None: it holds none (revoked: its roles went with it)
    project: str | None
    environment: str | None
    created_at: str
    expires_at: str | None
    revoked: bool  # ended: revoked, or rotated out
    created_by: str | None = None  # a member's email, or token NAME
    ended: str | None = None  # None while live; "revoked", "rotated out" (an older server: None)
    ended_at: str | None = None
    over_maximum: bool = False  # live, made to outlive the server's maximum lifetime
    last_used_at: str | None = None  # when last used, to within 5 minutes; None: not recorded


class TokenRevoked(Body):
    principal_id: str
    environment_ids: list[str]
    environments: list[AffectedEnvironment] = []
    tokens_revoked: list[str] = []  # the tokens it made, ended with it


class TokenRotation(TokenKeys):
    """A replacement for a token: new keys and shares, made by the caller's client. The name,
    role and scope stay; ``expires_at`` None keeps the old token's lifetime, unless
    ``never_expires`` asks for a token that does not expire."""

    never_expires: bool = False


class TokenRotated(Body):
    principal_id: str
    replaced_id: str
    environment_ids: list[str]
    environments: list[AffectedEnvironment] = []
    expires_at: str | None = None  # the new token's expiry (None: never)
    at_maximum: bool = False  # the server's maximum lifetime chose it (capped, or none asked)


class TokenScope(Body):
    project: str | None  # None: the whole workspace
    environment: str | None  # None: every environment of the project


class TokenSelf(Body):
    principal_id: str
    workspace_id: str
    wrapped_private_keys: B64
    encryption_public: B64
    signing_public: B64
    # Where its roles lie: a command run with the token outside a checkout takes its project
    # (and environment) from them when they name one. Left out by servers before it.
    scopes: list[TokenScope] = []
    expires_at: str | None = None  # this token's expiry (None: never, or an older server)
