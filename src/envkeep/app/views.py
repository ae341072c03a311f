"""What use cases return: frozen dataclasses, never ORM rows, across the layer boundary."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PrincipalView:
    id: str
    kind: str
    name: str
    encryption_public: bytes
    signing_public: bytes
    # Who last reset the account's keys (`account_reset`) and when, where the caller may see
    # it: a pinned client names them when it refuses the new key.
    reset_by: str | None = None
    reset_at: str | None = None


@dataclass(frozen=True)
class ProjectView:
    id: str
    workspace_id: str
    name: str


@dataclass(frozen=True)
class ServiceView:
    id: str
    project_id: str
    name: str
    path: str | None
    schema_path: str | None
    health_url: str | None


@dataclass(frozen=True)
class EnvironmentView:
    id: str
    project_id: str
    name: str
    key_version: int
    revision: int
    protected: bool
    description: str | None
    # Principals that hold the current data key without access now (removed, revoked, a role
    # taken back) when a revocation could not rotate it: values written are open to them.
    # Counted by `env list` only (other reads leave it 0).
    former_holders: int = 0


@dataclass(frozen=True)
class Reader:
    """One who may read an environment now: the highest role that opens it to them, and
    whether they hold a share of its current data key (a member no admin sealed it to yet
    holds none): whom a member missing that key can ask for it."""

    principal: PrincipalView
    role: str
    holds_key: bool


@dataclass(frozen=True)
class ShareView:
    """A data key sealed to the reader, with the sharer's public keys to verify it."""

    environment_id: str
    key_version: int
    recipient_id: str
    sharer: PrincipalView
    sealed: bytes


@dataclass(frozen=True)
class VersionView:
    """One stored version of a secret, as ciphertext."""

    secret_id: str
    scope: str
    version: int
    key_version: int
    name_ct: bytes
    value_ct: bytes | None
    author_id: str
    signature: bytes
    created_at: str


@dataclass(frozen=True)
class SecretView:
    """A secret's identity and its current version."""

    id: str
    scope: str
    name_index: bytes
    current: VersionView

    @property
    def deleted(self) -> bool:
        return self.current.value_ct is None


@dataclass(frozen=True)
class EnvironmentSnapshot:
    """Everything a client needs to decrypt an environment's current values."""

    project: ProjectView
    environment: EnvironmentView
    services: tuple[ServiceView, ...]
    shares: tuple[ShareView, ...]  # the reader's shares, one per key version it can open
    secrets: tuple[SecretView, ...]
    authors: tuple[PrincipalView, ...]
    # The reader's own role on the environment (read, write or admin), as the read's check
    # found it: a write command refuses a reader before it checks what it would write. None:
    # not said (a server from before it said, or a copy kept offline).
    role: str | None = None


@dataclass(frozen=True)
class SecretWrite:
    """One new version of one secret, encrypted and signed by the client."""

    secret_id: str
    scope: str
    name_index: bytes
    expected_version: int  # 0 for a secret that must not exist yet
    key_version: int
    name_ct: bytes
    value_ct: bytes | None  # None deletes (a tombstone version)
    signature: bytes

    @property
    def version(self) -> int:
        return self.expected_version + 1


@dataclass(frozen=True)
class NewEnvironment:
    """An environment to create: id chosen by the client, its data key sealed to the creator."""

    id: str
    name: str
    sealed_share: bytes
    key_version: int = 1
    writes: tuple[SecretWrite, ...] = ()  # initial values (env clone), in the same transaction


@dataclass(frozen=True)
class ProjectCreated:
    project: ProjectView
    environments: tuple[str, ...]


@dataclass(frozen=True)
class AffectedEnvironment:
    """An environment a revocation leaves with a data key the revoked principal holds: the
    caller's client rotates it next."""

    project: str
    environment: str
    id: str


@dataclass(frozen=True)
class Revocation:
    """What taking rights away did: the environments whose data keys the caller's client
    rotates next, and the tokens that ended with those rights (by name; `token_cascade`)."""

    environments: list[AffectedEnvironment]
    tokens: tuple[str, ...] = ()


@dataclass(frozen=True)
class Granted(Revocation):
    """What a grant did: as a revocation (a grant that lowers a role ends tokens), and how
    many key shares it stored (none of an environment whose current key the grantee held)."""

    shares_stored: int = 0

    @classmethod
    def of(cls, revoked: Revocation, shares_stored: int) -> Granted:
        return cls(revoked.environments, revoked.tokens, shares_stored)
