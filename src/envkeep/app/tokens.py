"""Service accounts: a machine principal with one role at one scope and a bearer token.

The creator's client makes the account's key pairs, wraps the private keys with a key derived
from the token's secret, and seals it a share of every environment the role opens; the server
stores the wrapped keys, the shares and a SHA-256 of the token. A service account may hold
only a subset of its creator's rights.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import select

from envkeep.app.audit import append_event
from envkeep.app.authz import require_member, require_role
from envkeep.app.members import NewShare, Scope, role_named, scope_target, store_shares
from envkeep.app.principals import principal_view
from envkeep.core.errors import AlreadyExistsError, NotFoundError, UsageError
from envkeep.store.models import Principal, RoleBinding, SessionToken

if TYPE_CHECKING:
    from datetime import datetime

    from envkeep.app.context import Call
    from envkeep.app.views import PrincipalView

TOKEN_PREFIX = "ek_sa_"  # noqa: S105 - a prefix, not a secret


@dataclass(frozen=True)
class NewServiceAccount:
    """What the creator's client uploads (no secret the server could use)."""

    principal_id: str
    name: str
    role: str
    scope: Scope
    encryption_public: bytes
    signing_public: bytes
    wrapped_private_keys: bytes
    token_hash: str = field(repr=False)
    expires_at: datetime | None
    shares: tuple[NewShare, ...]


@dataclass(frozen=True)
class ServiceAccountView:
    principal: PrincipalView
    label: str
    role: str
    project: str | None
    environment: str | None
    created_at: str
    expires_at: str | None
    revoked: bool


@dataclass(frozen=True)
class TokenSelf:
    """What a token's holder needs to unwrap its keys."""

    principal_id: str
    workspace_id: str
    wrapped_private_keys: bytes
    encryption_public: bytes
    signing_public: bytes


def _account_name(workspace_id: str, label: str) -> str:
    return f"sa:{workspace_id}:{label}"


def create_service_account(call: Call, *, workspace_id: str, new: NewServiceAccount) -> None:
    """Create the account, its binding, its shares and its token, in one transaction."""
    wanted = role_named(new.role)
    target, envs = scope_target(call, workspace_id, new.scope)
    held = require_role(call, target, wanted)  # a subset of the creator's own rights
    if not new.name or len(new.name) > 100 or ":" in new.name:
        raise UsageError("a token name needs 1 to 100 characters and no ':'")
    name = _account_name(workspace_id, new.name)
    if call.session.scalar(select(Principal).where(Principal.name == name)) is not None:
        raise AlreadyExistsError(f"a token named '{new.name}' exists", hint="pick another name")
    now = call.clock()
    call.session.add(
        Principal(
            id=new.principal_id,
            kind="service",
            name=name,
            encryption_public=new.encryption_public,
            signing_public=new.signing_public,
            wrapped_private_keys=new.wrapped_private_keys,
            created_at=now,
        )
    )
    call.session.flush()
    call.session.add(
        RoleBinding(
            id=call.new_id(),
            principal_id=new.principal_id,
            workspace_id=workspace_id,
            project_id=target.project_id,
            environment_id=target.environment_id,
            role=str(wanted),
            created_at=now,
            created_by=call.actor.principal_id,
        )
    )
    call.session.add(
        SessionToken(
            id=call.new_id(),
            principal_id=new.principal_id,
            token_hash=new.token_hash,
            kind="token",
            label=new.name,
            created_at=now,
            expires_at=new.expires_at,
        )
    )
    call.session.flush()
    store_shares(call, new.principal_id, envs, new.shares)
    append_event(
        call,
        workspace_id=workspace_id,
        action="token.create",
        target=new.name,
        details={"role": str(wanted), "held": str(held), "principal_id": new.principal_id},
    )


def list_service_accounts(call: Call, *, workspace_id: str) -> list[ServiceAccountView]:
    """The workspace's service accounts (readers of the workspace)."""
    from envkeep.app.policy import Role, Target

    require_role(call, Target(workspace_id), Role.READ)
    prefix = _account_name(workspace_id, "")
    rows = call.session.execute(
        select(Principal, SessionToken, RoleBinding)
        .join(SessionToken, SessionToken.principal_id == Principal.id)
        .outerjoin(RoleBinding, RoleBinding.principal_id == Principal.id)
        .where(Principal.kind == "service", Principal.name.startswith(prefix))
        .order_by(Principal.name)
    )
    return [
        ServiceAccountView(
            principal_view(p),
            t.label or "",
            b.role if b else "-",
            b.project_id if b else None,
            b.environment_id if b else None,
            p.created_at.isoformat(),
            t.expires_at.isoformat() if t.expires_at else None,
            t.revoked_at is not None or p.disabled_at is not None,
        )
        for p, t, b in rows
    ]


def revoke_service_account(call: Call, *, workspace_id: str, label: str) -> tuple[str, list[str]]:
    """Disable the account, end its token, drop its roles; return its id and the ids of the
    environments it could read (whose keys the caller's client rotates next)."""
    from envkeep.app.policy import Binding, Role, Target, covers
    from envkeep.store.models import Environment, Project

    require_member(call.fetch, call.actor.principal_id, workspace_id)  # strangers learn nothing
    account = call.session.scalar(
        select(Principal).where(Principal.name == _account_name(workspace_id, label))
    )
    if account is None:
        raise NotFoundError(f"no token named '{label}'", hint="see them with: envkeep token list")
    bindings = list(
        call.session.scalars(
            select(RoleBinding).where(
                RoleBinding.principal_id == account.id, RoleBinding.workspace_id == workspace_id
            )
        )
    )
    if not bindings:  # a token with no role left: only a workspace admin may end it
        require_role(call, Target(workspace_id), Role.ADMIN)
    for binding in bindings:
        require_role(
            call, Target(workspace_id, binding.project_id, binding.environment_id), Role.ADMIN
        )
    now = call.clock()
    account.disabled_at = now
    for token in call.session.scalars(
        select(SessionToken).where(SessionToken.principal_id == account.id)
    ):
        token.revoked_at = now
    projects = list(
        call.session.scalars(select(Project.id).where(Project.workspace_id == workspace_id))
    )
    envs = call.session.scalars(select(Environment).where(Environment.project_id.in_(projects)))
    readable = [
        e.id
        for e in envs
        if any(
            covers(
                Binding(Role.parse(b.role), b.workspace_id, b.project_id, b.environment_id),
                Target(workspace_id, e.project_id, e.id),
            )
            for b in bindings
        )
    ]
    for binding in bindings:
        call.session.delete(binding)
    call.session.flush()
    append_event(call, workspace_id=workspace_id, action="token.revoke", target=label)
    return account.id, readable


def token_self(call: Call) -> TokenSelf:
    """A service account's own wrapped keys and workspace."""
    account = call.session.get(Principal, call.actor.principal_id)
    binding = call.session.scalar(
        select(RoleBinding).where(RoleBinding.principal_id == call.actor.principal_id).limit(1)
    )
    if account is None or account.kind != "service" or binding is None:
        raise NotFoundError("this is not a service-account token with a role")
    return TokenSelf(
        account.id,
        binding.workspace_id,
        account.wrapped_private_keys or b"",
        account.encryption_public,
        account.signing_public,
    )
