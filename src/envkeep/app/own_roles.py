"""The refusal of a change to the caller's own roles (`members`), naming the other admins
who can make it: admins whose role covers the scope, people (not tokens) who can still act."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from envkeep.app.policy import Role, covers
from envkeep.app.role_scopes import policy_binding
from envkeep.core.errors import UsageError
from envkeep.core.own_roles import own_change_hint
from envkeep.store.models import Principal, RoleBinding

if TYPE_CHECKING:
    from envkeep.app.context import Call
    from envkeep.app.policy import Target


def other_admins(call: Call, target: Target) -> list[str]:
    """The emails of the people other than the caller who hold admin over ``target``."""
    rows = call.session.execute(
        select(RoleBinding, Principal.name)
        .join(Principal, Principal.id == RoleBinding.principal_id)
        .where(
            RoleBinding.workspace_id == target.workspace_id,
            RoleBinding.role == str(Role.ADMIN),
            Principal.kind == "user",
            Principal.disabled_at.is_(None),
            Principal.id != call.actor.principal_id,
        )
    ).all()
    return sorted({name for binding, name in rows if covers(policy_binding(binding), target)})


def refuse_own_change(call: Call, target: Target, message: str, command: str) -> UsageError:
    """The error refusing the caller's change to its own role, ``command`` being what another
    admin runs instead."""
    return UsageError(message, hint=own_change_hint(other_admins(call, target), command))
