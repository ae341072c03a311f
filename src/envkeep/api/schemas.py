"""Request and response bodies (pydantic); bytes travel as base64url text."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from envkeep.api.encoding import B64

if TYPE_CHECKING:
    from pydantic import GetJsonSchemaHandler
    from pydantic.json_schema import JsonSchemaValue
    from pydantic_core import CoreSchema


class Body(BaseModel):
    """A request or an answer: unknown fields are refused either way (a misspelt request field
    is never silently dropped; the server's own answers are checked exactly)."""

    model_config = ConfigDict(extra="forbid", frozen=True, from_attributes=True)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The model's JSON schema; as an answer (serialization mode) it allows additional
        properties: a newer server adds fields to its answers, and a client generated from
        ``/openapi.json`` must not refuse them. A model in both directions (``KdfParams``)
        becomes two schemas there, ``-Input`` closed and ``-Output`` open."""
        schema = handler.resolve_ref_schema(handler(core_schema))
        if handler.mode == "serialization":
            schema["additionalProperties"] = True
        return schema


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


class SecretWrite(Body):
    secret_id: str = Field(max_length=36)
    scope: str = Field(max_length=64)
    name_index: B64
    expected_version: int = Field(ge=0)
    key_version: int = Field(ge=0)
    name_ct: B64
    value_ct: B64 | None
    signature: B64


class NewEnvironment(Body):
    id: str = Field(max_length=36)
    name: str = Field(max_length=63)
    sealed_share: B64
    key_version: int = 1
    writes: list[SecretWrite] = []


class NewProject(Body):
    name: str = Field(max_length=63)
    environments: list[NewEnvironment]


class Project(Body):
    id: str
    workspace_id: str
    name: str


class ProjectCreated(Body):
    project: Project
    environments: list[str]


class NewService(Body):
    name: str = Field(max_length=63)
    path: str | None = None
    schema_path: str | None = None


class Service(Body):
    id: str
    project_id: str
    name: str
    path: str | None
    schema_path: str | None
    health_url: str | None


class Environment(Body):
    id: str
    project_id: str
    name: str
    key_version: int
    revision: int
    protected: bool
    description: str | None
    former_holders: int = 0  # hold the current key without access now: rotate it


class EnvironmentChange(Body):
    rename: str | None = None
    description: str | None = None
    protected: bool | None = None


class Share(Body):
    environment_id: str
    key_version: int
    recipient_id: str
    sharer: Principal
    sealed: B64


class Version(Body):
    secret_id: str
    scope: str
    version: int
    key_version: int
    name_ct: B64
    value_ct: B64 | None
    author_id: str
    signature: B64
    created_at: str


class Secret(Body):
    id: str
    scope: str
    name_index: B64
    current: Version


class Snapshot(Body):
    project: Project
    environment: Environment
    services: list[Service]
    shares: list[Share]
    secrets: list[Secret]
    authors: list[Principal]
    role: str | None = None  # the reader's role on the environment (None: an older server)


class Writes(Body):
    writes: list[SecretWrite] = Field(max_length=20_000)
    confirmed: bool = False


class Revision(Body):
    revision: int


class History(Body):
    versions: list[Version]
    authors: list[Principal]


class VersionsAt(History):
    """The version each variable of one scope held at a time (none for one created later),
    with their authors: a scope's history in one answer (`rollback --to-time`)."""


class AuditEvent(Body):
    workspace_id: str
    seq: int
    at: str
    principal_id: str | None
    action: str
    target: str
    outcome: str
    request_id: str | None
    ip: str | None
    details: str
    prev_hash: str
    hash: str
    # The project the event's target lies in (migration 0012; not hashed: the details name it
    # too, which are, for events since); None: the workspace's own, or older and not
    # derivable. Absent from an older server's answer.
    project_id: str | None = None


class AuditPage(Body):
    events: list[AuditEvent]
    next_after: int | None
    # principal id → email, or "token NAME": for showing who acted and whom an event is about
    names: dict[str, str] = {}
    # The project the page is limited to (its admin's read); None: the whole workspace's.
    project: str | None = None
    # Its id: what each event's project_id, and its details' where they hold one, must be.
    project_id: str | None = None


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


class NewWorkspace(Body):
    name: str = Field(max_length=200)


class InviteProof(Body):
    invite_id: str
    key_proof: str
