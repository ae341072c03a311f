"""Whether a workspace's admin may act on a member's whole account, not only on its roles
there: `member reset` (its keys) and `member logout` (its sessions) reach every workspace the
account is in, so one tenant's admin may do them only to an account no other tenant shares.

The account must hold a role in the caller's workspace (an admin acts only on its own
members: another's are answered as unknown) and none in a workspace outside ``within``, the
workspaces the use case may reach: a reset, which removes the member from one workspace only,
passes that one; a logout, which removes nothing, passes every workspace the caller is an
admin of. A refusal says that the account holds roles elsewhere, never where.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from envkeep.app.policy import Role
from envkeep.core.errors import NotFoundError, PermissionDenied
from envkeep.store.models import Principal, RoleBinding

if TYPE_CHECKING:
    from collections.abc import Collection

    from envkeep.app.context import Call


def require_account_within(
    call: Call,
    account: Principal,
    *,
    workspace_id: str,
    within: Collection[str],
    doing: str,
    hint: str,
) -> frozenset[str]:
    """Refuse ``account`` unless it holds a role in ``workspace_id`` and in no workspace
    outside ``within``; ``doing`` names the act in the refusal ("reset", "end the sessions
    of"), ``hint`` says what to do instead. The workspaces it holds a role in, as checked."""
    held = frozenset(
        call.session.scalars(
            select(RoleBinding.workspace_id).where(RoleBinding.principal_id == account.id)
        )
    )
    if workspace_id not in held:
        raise NotFoundError(
            "that principal is not a member of this workspace",
            hint="see who is: envkeep member list",
        )
    if any(w not in within for w in held):
        raise PermissionDenied(
            f"{account.name} holds roles in another workspace too: an admin of one workspace"
            f" cannot {doing} an account another one shares",
            hint=hint,
        )
    return held


def holds_role_in(call: Call, account: Principal, workspace_id: str) -> bool:
    """Whether ``account`` holds any role in ``workspace_id``: one that holds none is another
    tenant's, to be answered as unknown before anything else about it is said."""
    found = call.session.scalar(
        select(RoleBinding.id)
        .where(RoleBinding.principal_id == account.id, RoleBinding.workspace_id == workspace_id)
        .limit(1)
    )
    return found is not None


def workspaces_administered(call: Call) -> frozenset[str]:
    """The workspaces where the caller holds admin at workspace scope (over all of it)."""
    found = call.session.scalars(
        select(RoleBinding.workspace_id).where(
            RoleBinding.principal_id == call.actor.principal_id,
            RoleBinding.role == str(Role.ADMIN),
            RoleBinding.project_id.is_(None),
            RoleBinding.environment_id.is_(None),
        )
    ).all()
    return frozenset(found)
