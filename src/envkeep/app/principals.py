"""Principals and the local workspace an embedded store starts with."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from envkeep.app.audit import append_event
from envkeep.app.key_resets import with_last_reset
from envkeep.app.policy import Role
from envkeep.app.views import PrincipalView
from envkeep.core.errors import NotFoundError
from envkeep.store.models import Principal, RoleBinding, Workspace

if TYPE_CHECKING:
    from envkeep.app.context import Call

LOCAL_WORKSPACE = "local"


def principal_view(principal: Principal) -> PrincipalView:
    """The public face of a principal."""
    return PrincipalView(
        id=principal.id,
        kind=principal.kind,
        name=principal.name,
        encryption_public=principal.encryption_public,
        signing_public=principal.signing_public,
    )


def get_principal(call: Call, principal_id: str) -> PrincipalView:
    """A principal's public keys: the caller's own, or one that holds a role in a workspace
    where the caller holds one too. Any other (another tenant's) answers as an unknown id."""
    principal = call.session.get(Principal, principal_id)
    if principal is None or not _shares_a_workspace(call, principal.id):
        raise NotFoundError(f"principal {principal_id} not found")
    mine = call.session.scalars(
        select(RoleBinding.workspace_id).where(RoleBinding.principal_id == call.actor.principal_id)
    ).all()
    return with_last_reset(call, principal_view(principal), set(mine))


def _shares_a_workspace(call: Call, principal_id: str) -> bool:
    caller = call.actor.principal_id
    if principal_id == caller:
        return True
    mine = select(RoleBinding.workspace_id).where(RoleBinding.principal_id == caller)
    shared = select(RoleBinding.id).where(
        RoleBinding.principal_id == principal_id, RoleBinding.workspace_id.in_(mine)
    )
    return call.session.scalar(shared.limit(1)) is not None


def bootstrap_local_owner(
    call: Call, *, name: str, encryption_public: bytes, signing_public: bytes
) -> str:
    """Create the embedded store's workspace and make the actor its admin; return its id.

    Idempotent: a second call returns the existing workspace. This is the one use case without
    an authorisation check, since it creates the first binding; it runs only on an embedded
    store, for the identity that owns the store's files.
    """
    existing = call.session.scalar(select(Workspace).where(Workspace.name == LOCAL_WORKSPACE))
    if existing is not None:
        return existing.id
    now = call.clock()
    workspace = Workspace(id=call.new_id(), name=LOCAL_WORKSPACE, created_at=now)
    principal = Principal(
        id=call.actor.principal_id,
        kind="user",
        name=name,
        encryption_public=encryption_public,
        signing_public=signing_public,
        created_at=now,
    )
    call.session.add_all([workspace, principal])
    call.session.flush()
    call.session.add(
        RoleBinding(
            id=call.new_id(),
            principal_id=principal.id,
            workspace_id=workspace.id,
            role=str(Role.ADMIN),
            created_at=now,
            created_by=principal.id,
        )
    )
    call.session.flush()
    append_event(call, workspace_id=workspace.id, action="workspace.create", target=workspace.name)
    return workspace.id
