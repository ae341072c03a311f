"""SQLAlchemy 2 tables for the whole data model of DESIGN §2.

The server stores only what DESIGN §4 lets it see: names of workspaces, projects, services and
environments, who holds which role, public keys, and ciphertext. A variable's name exists here
only as an encrypted envelope and an HMAC index; its value only as an envelope.

The schema is created and changed by Alembic migrations (``store/migrations``), never by
``create_all``; a test checks that the migrations and these models agree. Every foreign key
leads an index (``index=True`` where no unique constraint starts with it; migration 0013): the
database follows a reference backwards on every cascade, and a test refuses one left out.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = String(36)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Workspace(Base):
    """A tenant: nothing crosses it."""

    __tablename__ = "workspaces"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    # Unique among one member's workspaces (app.workspaces.create_workspace), not across
    # tenants: that would tell anyone which names other tenants use (migration 0009).
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Principal(Base):
    """Who acts: a user or a service account, its public keys, maybe its wrapped private keys."""

    __tablename__ = "principals"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "user" | "service"
    name: Mapped[str] = mapped_column(String(320), unique=True)  # email, or sa:<ws>:<name>
    encryption_public: Mapped[bytes] = mapped_column(LargeBinary(32))
    signing_public: Mapped[bytes] = mapped_column(LargeBinary(32))
    wrapped_private_keys: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    kdf_salt: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    kdf_params: Mapped[str | None] = mapped_column(String(200), nullable=True)  # JSON m/t/p
    auth_hash: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # A service account's creator, whose rights it lives on (migration 0007); None for users.
    created_by: Mapped[str | None] = mapped_column(ID, nullable=True)


class RoleBinding(Base):
    """A role (admin > write > read) bound at workspace, project or environment scope."""

    __tablename__ = "role_bindings"
    __table_args__ = (
        UniqueConstraint("principal_id", "workspace_id", "project_id", "environment_id"),
        # The constraint above lets rows that differ only by NULLs (two workspace-wide roles)
        # through, as SQL's NULLs are distinct; this one does not (migration 0006).
        Index(
            "uq_role_bindings_scope",
            "principal_id",
            "workspace_id",
            func.coalesce(text("project_id"), ""),
            func.coalesce(text("environment_id"), ""),
            unique=True,
        ),
    )
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    principal_id: Mapped[str] = mapped_column(ForeignKey("principals.id", ondelete="CASCADE"))
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[str | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), nullable=True, index=True
    )
    environment_id: Mapped[str | None] = mapped_column(
        ForeignKey("environments.id", ondelete="CASCADE"), nullable=True, index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str | None] = mapped_column(ID, nullable=True)


class EndedRole(Base):
    """A role a service account held when it was revoked (`token_cascade.end_account` drops its
    live roles), kept so that `token list` still says what the token could do (migration 0010)."""

    __tablename__ = "ended_roles"
    id: Mapped[str] = mapped_column(ID, primary_key=True)  # the dropped binding's id
    principal_id: Mapped[str] = mapped_column(
        ForeignKey("principals.id", ondelete="CASCADE"), index=True
    )
    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[str | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), nullable=True, index=True
    )
    environment_id: Mapped[str | None] = mapped_column(
        ForeignKey("environments.id", ondelete="CASCADE"), nullable=True, index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    ended_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Project(Base):
    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Service(Base):
    """One microservice of a project (the service registry)."""

    __tablename__ = "services"
    __table_args__ = (UniqueConstraint("project_id", "name"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    path: Mapped[str | None] = mapped_column(Text, nullable=True)
    schema_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    health_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Environment(Base):
    """The leaf of access control and the unit of encryption (one data key per environment)."""

    __tablename__ = "environments"
    __table_args__ = (UniqueConstraint("project_id", "name"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    protected: Mapped[bool] = mapped_column(Boolean, default=False)
    key_version: Mapped[int] = mapped_column(Integer, default=1)
    revision: Mapped[int] = mapped_column(Integer, default=0)  # bumped on every write: the ETag
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DataKeyShare(Base):
    """An environment data key sealed to one principal and signed by the sharer."""

    __tablename__ = "data_key_shares"
    __table_args__ = (UniqueConstraint("environment_id", "key_version", "recipient_id"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    key_version: Mapped[int] = mapped_column(Integer)
    recipient_id: Mapped[str] = mapped_column(
        ForeignKey("principals.id", ondelete="CASCADE"), index=True
    )
    sharer_id: Mapped[str] = mapped_column(ForeignKey("principals.id"), index=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Secret(Base):
    """A variable in one environment and one scope; its name only as an HMAC index here."""

    __tablename__ = "secrets"
    __table_args__ = (
        UniqueConstraint("environment_id", "scope", "name_index"),
        # reading an environment walks its secrets in creation order
        Index("ix_secrets_environment_order", "environment_id", "created_at", "id"),
    )
    id: Mapped[str] = mapped_column(ID, primary_key=True)  # chosen by the client (it is in the AAD)
    environment_id: Mapped[str] = mapped_column(ForeignKey("environments.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(64))  # "shared" or "service:<service id>"
    service_id: Mapped[str | None] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), nullable=True, index=True
    )
    name_index: Mapped[bytes] = mapped_column(LargeBinary(32))
    current_version: Mapped[int] = mapped_column(Integer)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SecretVersion(Base):
    """One immutable version: encrypted name and value, signed by its author."""

    __tablename__ = "secret_versions"
    __table_args__ = (UniqueConstraint("secret_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    secret_id: Mapped[str] = mapped_column(ForeignKey("secrets.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    key_version: Mapped[int] = mapped_column(Integer)
    name_ct: Mapped[bytes] = mapped_column(LargeBinary)
    value_ct: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # None: deleted
    author_id: Mapped[str] = mapped_column(ForeignKey("principals.id"), index=True)
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditEvent(Base):
    """One entry of the per-workspace hash chain."""

    __tablename__ = "audit_events"
    # (workspace_id, seq) only: a project admin's read filters on project_id along it, rather
    # than every append writing one more index page (migration 0012, docs/design.md).
    __table_args__ = (UniqueConstraint("workspace_id", "seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[str] = mapped_column(String(40))  # ISO 8601 UTC, exactly as hashed
    principal_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    details: Mapped[str] = mapped_column(Text, default="{}")  # JSON, never secret material
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # The project the target lies in since migration 0012, as the event's details name it
    # (which its hash covers; derived from the target, outside any hash, for events before it
    # where it could be); no foreign key: the trail outlives what it names, as principal_id does.
    project_id: Mapped[str | None] = mapped_column(ID, nullable=True)


class SessionToken(Base):
    """A bearer credential: a user's login session or a service account's token.

    Only a SHA-256 of the token is stored; the token itself is shown once.
    """

    __tablename__ = "sessions"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    principal_id: Mapped[str] = mapped_column(
        ForeignKey("principals.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # "session" | "token"
    label: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The peer address a login session was started from (migration 0008); None for tokens.
    created_from: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # When a request last authenticated with it, to within `app/session_marks.USED_STEP`
    # (written only once the stored time is older than that: reads write no more for it).
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The client's User-Agent at login, cleaned (migration 0015); None for tokens and for
    # sessions made before.
    user_agent: Mapped[str | None] = mapped_column(String(200), nullable=True)


class Invite(Base):
    """A one-time, expiring invitation to a workspace with a role; only its secret's hash."""

    __tablename__ = "invites"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    workspace_id: Mapped[str | None] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=True, index=True
    )  # None: the bootstrap invite, which creates the first workspace
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(16))
    project_id: Mapped[str | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), nullable=True, index=True
    )
    environment_id: Mapped[str | None] = mapped_column(
        ForeignKey("environments.id", ondelete="CASCADE"), nullable=True, index=True
    )
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str | None] = mapped_column(ID, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    accepted_by: Mapped[str | None] = mapped_column(ID, nullable=True)
    # HMAC, under the invite's secret, of the public keys the invitee registered: lets the
    # inviter (who knows the secret) check the server handed out the invitee's real keys.
    key_proof: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # A reset (`app/account_reset`): accepting it gives the existing account new key pairs.
    resets: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class RateBucket(Base):
    """A rate-limit token bucket that every server process shares (``rate_store = database``):
    what is left of it and when, in wall-clock seconds; whether its last take was granted."""

    __tablename__ = "rate_buckets"
    key: Mapped[str] = mapped_column(String(400), primary_key=True)  # "ip:…", "principal:…"
    tokens: Mapped[float] = mapped_column(Double)
    updated: Mapped[float] = mapped_column(Double)
    granted: Mapped[bool] = mapped_column(Boolean)


class ServerSecret(Base):
    """A random key the deployment keeps (migration 0011 makes them): ``prelogin``, the HMAC
    key of the fake KDF salts unknown emails get. Never derived from settings."""

    __tablename__ = "server_secrets"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[bytes] = mapped_column(LargeBinary(64))
