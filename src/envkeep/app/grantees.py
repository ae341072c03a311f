"""The accounts an admin may seal key shares to: looked up by name, for a grant.

An admin at any scope of the workspace may look one up (a project's admin grants roles in its
project; the grant itself is checked at the scope it names). Users are found wherever their
account was made: granting a role is how an existing account joins another workspace. A
disabled account, and another workspace's service account, are not found: their answer is an
unknown name's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from envkeep.app.authz import require_role_anywhere
from envkeep.app.policy import Role
from envkeep.app.principals import principal_view
from envkeep.core.errors import NotFoundError
from envkeep.store.models import Principal

if TYPE_CHECKING:
    from envkeep.app.context import Call
    from envkeep.app.views import PrincipalView


def principal_by_name(call: Call, *, workspace_id: str, name: str) -> PrincipalView:
    """An account by email (or service-account name), with its public keys."""
    require_role_anywhere(call, workspace_id, Role.ADMIN)
    found = call.session.scalar(select(Principal).where(Principal.name == name.lower()))
    if found is None or not _grantable(workspace_id, found):
        raise NotFoundError(
            f"no account '{name}'",
            hint="invite them: envkeep member invite EMAIL (a token: envkeep token create)",
        )
    return principal_view(found)


def _grantable(workspace_id: str, principal: Principal) -> bool:
    if principal.disabled_at is not None:
        return False
    return principal.kind != "service" or principal.name.startswith(f"sa:{workspace_id}:")
