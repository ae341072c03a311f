"""The accounts an admin may seal key shares to: looked up by name, for a grant.

An admin at any scope of the workspace may look one up (a project's admin grants roles in its
project; the grant itself is checked at the scope it names). Only the workspace's own are
found: users holding a role somewhere in it or who accepted one of its invites (an account
joins a workspace by accepting an invite, `workspaces.join_workspace`, which also proves its
keys to the inviter), and its service accounts. Any other name, an account of another tenant
included, and a disabled account get an unknown name's answer: nothing about other tenants
crosses over.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from envkeep.app.authz import require_role_anywhere
from envkeep.app.invites import pending_for
from envkeep.app.key_resets import with_last_reset
from envkeep.app.live_readers import live
from envkeep.app.policy import Role
from envkeep.app.principal_labels import principal_name, token_label
from envkeep.app.principals import principal_view
from envkeep.core.errors import NotFoundError, UsageError
from envkeep.store.models import Invite, Principal, RoleBinding

if TYPE_CHECKING:
    from envkeep.app.context import Call
    from envkeep.app.views import PrincipalView


def principal_by_name(call: Call, *, workspace_id: str, name: str) -> PrincipalView:
    """An account by email, or a token of the workspace by its name (as `token list` shows
    it), with its public keys."""
    require_role_anywhere(call, workspace_id, Role.ADMIN)
    wanted = principal_name(workspace_id, name)
    found = call.session.scalar(select(Principal).where(Principal.name == wanted))
    if found is None and "@" in name and pending_for(call, workspace_id=workspace_id, email=name):
        raise NotFoundError(
            f"{name} has not accepted their invite yet: there is no account to grant to",
            hint="once they have joined (envkeep join URL CODE), run the grant again: it seals"
            " them the keys of the role their invite gives (envkeep member list shows it"
            " pending)",
        )
    if found is None or not grantable(call, workspace_id, found):
        raise NotFoundError(
            f"no account or token '{name}'",
            hint="invite them: envkeep member invite EMAIL --role ROLE (they accept with envkeep"
            " join, which an existing account runs too; a token: envkeep token create)",
        )
    refuse_expired(call, found)
    return with_last_reset(call, principal_view(found), [workspace_id])


def refuse_expired(call: Call, principal: Principal) -> None:
    """Refuse a token whose tokens no longer work (past expiry): it is given no role and
    sealed no key (`live_readers`); rotating it makes a working one with the same roles."""
    if not live(call, [principal]):
        label = token_label(principal.name) or principal.name
        raise UsageError(
            f"token '{label}' has expired: it cannot be given a role or keys",
            hint=f"rotate it for a new secret with the same roles: envkeep token rotate {label}",
        )


def grantable(call: Call, workspace_id: str, principal: Principal) -> bool:
    """Whether ``principal`` is the workspace's own (a user holding a role in it or who
    accepted one of its invites, or its service account) and enabled: the only principals
    roles there are granted to."""
    if principal.disabled_at is not None:
        return False
    if principal.kind == "service":
        return principal.name.startswith(f"sa:{workspace_id}:")
    member = select(RoleBinding.id).where(
        RoleBinding.principal_id == principal.id, RoleBinding.workspace_id == workspace_id
    )
    if call.session.scalar(member.limit(1)) is not None:
        return True
    # One who accepted an invite here stays the workspace's own with no role left (revoked or
    # removed): an admin may grant it one again without a new invite.
    joined = select(Invite.id).where(
        Invite.workspace_id == workspace_id, Invite.accepted_by == principal.id
    )
    return call.session.scalar(joined.limit(1)) is not None
