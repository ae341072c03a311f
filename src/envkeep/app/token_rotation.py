"""Rotating a service account's token (`token rotate`): a new account of the same name, roles
and scopes replaces the old one in one transaction, and the old token stops working at once;
the caller's client then rotates the data keys of the environments the old one could read.
One audit event, as for every use case of `tokens`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from envkeep.app._service_accounts import (
    Grant,
    add_account,
    find_account,
    hand_over,
    lifetime_of,
    require_admin_over,
    retire_name,
    target_of,
)
from envkeep.app.audit import append_event
from envkeep.app.authz import require_role
from envkeep.app.policy import Role, common_project
from envkeep.app.role_scopes import affected_environments, covered_environments
from envkeep.app.token_cascade import end_account
from envkeep.app.token_lifetime import NO_MAXIMUM, LifetimePolicy, rotated_lifetime
from envkeep.core.errors import PermissionDenied, UsageError

if TYPE_CHECKING:
    from envkeep.app.context import Call
    from envkeep.app.tokens import AccountKeys
    from envkeep.app.views import AffectedEnvironment


@dataclass(frozen=True)
class Rotated:
    """The replaced account, its successor, the environments the replaced one could read
    (whose data keys the caller's client rotates next), and when the successor's token
    expires (ISO 8601; None: never; ``at_maximum``: the server's maximum lifetime chose it)."""

    replaced_id: str
    principal_id: str
    environments: list[AffectedEnvironment]
    expires_at: str | None = None
    at_maximum: bool = False


def rotate_service_account(
    call: Call,
    *,
    workspace_id: str,
    label: str,
    new: AccountKeys,
    never_expires: bool = False,
    lifetime: LifetimePolicy = NO_MAXIMUM,
) -> Rotated:
    """Replace a token by a new account of the same name, roles and scopes (one, or more
    when members granted it others), in one transaction: the old one stops working at once.
    ``new.expires_at`` None keeps the old token's lifetime (``never_expires``: the new one has
    none), capped to the server's maximum ``lifetime`` from now; an expiry asked is held to it
    (`token_lifetime`). The caller needs admin wherever the old account holds a role, and each
    role itself."""
    if never_expires and new.expires_at is not None:
        raise UsageError(
            "a rotated token cannot both expire and never expire",
            hint="give a lifetime (--expires 30d) or --expires never, not both",
        )
    account, bindings = find_account(call, workspace_id, label)
    if account.disabled_at is not None or not bindings:  # seen in `token list`: no secret
        raise _not_rotatable(label, revoked=account.disabled_at is not None)
    try:
        require_admin_over(call, workspace_id, bindings)
    except PermissionDenied as refused:
        if account.created_by != call.actor.principal_id:
            raise
        raise PermissionDenied(  # a token's creator may revoke it, not mint it anew
            str(refused),
            hint="rotating a token needs admin wherever it holds a role; as its creator you may"
            f" revoke it (envkeep token revoke {label}) and create another",
        ) from None
    grants = [Grant(target_of(b), Role.parse(b.role), b.created_by) for b in bindings]
    # Each a subset of the caller's own rights.
    held = [require_role(call, grant.target, grant.role) for grant in grants]
    envs = covered_environments(call, workspace_id, bindings)
    kept = None if never_expires or new.expires_at else lifetime_of(call, account)
    granted = rotated_lifetime(
        lifetime, call.clock(), new.expires_at, never=never_expires, kept=kept
    )
    end_account(call, account, bindings)
    retire_name(call, account, workspace_id, label, "rotated")
    keys = replace(new, expires_at=granted.expires_at)
    add_account(
        call, grants=grants, label=label, keys=keys, envs=envs, created_by=account.created_by
    )
    hand_over(call, account.id, new.principal_id)
    append_event(
        call,
        workspace_id=workspace_id,
        action="token.rotate",
        target=label,
        project_id=common_project(grant.target for grant in grants),
        details={
            "role": ",".join(str(grant.role) for grant in grants),
            "held": ",".join(str(role) for role in held),
            "principal_id": new.principal_id,
            "replaced": account.id,
            **granted.audited,
        },
    )
    named = affected_environments(call, envs)
    return Rotated(account.id, new.principal_id, named, granted.shown, granted.at_maximum)


def _not_rotatable(label: str, *, revoked: bool) -> UsageError:
    """The refusal to rotate a revoked token (its name is free for a new one), or a live one
    left with no role (which a rotation would hand on as none)."""
    if revoked:
        return UsageError(
            f"token '{label}' was revoked: it cannot be rotated",
            hint=f"create a new one under its name: envkeep token create {label} --role ROLE",
        )
    return UsageError(
        f"token '{label}' holds no role any more: a rotation would make a token that opens nothing",
        hint=f"give it a role (envkeep member grant {label} ROLE --project PROJECT), or revoke"
        f" it (envkeep token revoke {label}) and create another",
    )
