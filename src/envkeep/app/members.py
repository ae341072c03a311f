"""Members and roles: granting (with the grantee's shares, sealed client-side: `share_store`)
and revoking (`key_rotation` then switches the environments a revocation affects to new keys);
scopes are `role_scopes`, the listing is `member_list`.

No privilege escalation: a principal grants only at scopes where it is an admin, and never a
role above the one it holds there; it changes no role of its own (another admin does: a sole
admin would lock the workspace). A grant must bring a share of every environment it opens,
so access is cryptographic, not only policy.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from envkeep.app._lookup import binding_at
from envkeep.app.audit import append_event
from envkeep.app.authz import require_role
from envkeep.app.grantees import grantable, refuse_expired
from envkeep.app.invites import (
    grant_command,
    withdraw_all_for,
    withdraw_unbacked,
)
from envkeep.app.left_accounts import end_sessions_of_roleless
from envkeep.app.live_readers import live
from envkeep.app.own_roles import refuse_own_change
from envkeep.app.policy import Role, Target
from envkeep.app.principal_labels import shown_name
from envkeep.app.principal_lock import lock_principal
from envkeep.app.role_lock import lock_roles
from envkeep.app.role_scopes import (
    Scope,
    covered_environments,
    revocation,
    role_named,
    scope_target,
)
from envkeep.app.share_store import store_shares
from envkeep.app.token_cascade import end_uncovered_tokens
from envkeep.app.views import Granted
from envkeep.core.errors import NotFoundError, RoleNotHeld, UsageError
from envkeep.store.models import Principal, RoleBinding, Workspace

if TYPE_CHECKING:
    from collections.abc import Sequence

    from envkeep.app.context import Call
    from envkeep.app.share_store import NewShare
    from envkeep.app.views import Revocation
    from envkeep.store.models import Environment


def grant_role(
    call: Call,
    *,
    workspace_id: str,
    principal_id: str,
    role: str,
    scope: Scope,
    shares: Sequence[NewShare],
) -> Granted:
    """Bind ``role`` at ``scope`` and store the grantee's shares of every environment it opens
    (those it holds already are kept: the answer counts the ones stored). A grant that lowers
    a role ends the tokens that lived on it (`token_cascade`)."""
    wanted = role_named(role)
    lock_roles(call, workspace_id)  # before the check: another admin may be demoting us
    target, envs = scope_target(call, workspace_id, scope)
    held = require_role(call, target, Role.ADMIN)
    if wanted > held:
        raise UsageError(f"you cannot grant {wanted}: you hold {held} here")
    grantee = call.session.get(Principal, principal_id)
    if grantee is None or not grantable(call, workspace_id, grantee):
        raise NotFoundError(  # another tenant's account answers as an unknown one
            "no such principal in this workspace",
            hint="invite them: envkeep member invite EMAIL --role ROLE (they accept with"
            " envkeep join)",
        )
    refuse_expired(call, grantee)  # its tokens work no more: no role, no key for it
    if principal_id == call.actor.principal_id:  # as revoke's: a sole admin would lock all out
        again = grant_command(grantee.name, str(wanted), scope.project, scope.environment)
        raise refuse_own_change(call, target, "you cannot change your own role", again)
    logged_out = end_sessions_of_roleless(call, principal_id)  # a former member's, before
    stored = store_shares(call, principal_id, envs, shares)
    existing = binding_at(call.session, principal_id, target)
    if existing is None:
        call.session.add(
            RoleBinding(
                id=call.new_id(),
                principal_id=principal_id,
                workspace_id=workspace_id,
                project_id=target.project_id,
                environment_id=target.environment_id,
                role=str(wanted),
                created_at=call.clock(),
                created_by=call.actor.principal_id,
            )
        )
    else:
        if wanted > Role.parse(existing.role):  # a raise: the actor gives the role now
            existing.created_by = call.actor.principal_id
        existing.role = str(wanted)
    call.session.flush()
    ended = end_uncovered_tokens(call, workspace_id)
    withdraw_unbacked(call, workspace_id=workspace_id)  # invites their makers no longer back
    append_event(
        call,
        workspace_id=workspace_id,
        action="member.grant",
        target=_event_target(call, workspace_id, scope),
        project_id=target.project_id,
        details={
            "principal_id": principal_id,
            "role": str(wanted),
            "shares": stored,
            **({"sessions_ended": logged_out} if logged_out else {}),
            **ended.details(),
        },
    )
    return Granted.of(revocation(call, workspace_id, [], ended), stored)


def _shown(call: Call, workspace_id: str, principal_id: str) -> str:
    """A principal as the CLI names it (email, or ``token NAME``) when it holds a role in the
    workspace; any other stays "that principal" (an admin learns no other tenant's names)."""
    member = call.session.scalar(
        select(Principal)
        .join(RoleBinding, RoleBinding.principal_id == Principal.id)
        .where(Principal.id == principal_id, RoleBinding.workspace_id == workspace_id)
        .limit(1)
    )
    return shown_name(member.name, member.kind) if member is not None else "that principal"


def _revoke_command(call: Call, principal_id: str, scope: Scope) -> str:
    """The `member revoke` another admin runs to take the caller's role at ``scope``."""
    where = [
        *(["--project", scope.project] if scope.project else []),
        *(["--env", scope.environment] if scope.environment else []),
    ]
    me = call.session.get(Principal, principal_id)
    return shlex.join(["envkeep", "member", "revoke", me.name if me else "EMAIL", *where])


def _describe(scope: Scope) -> str:
    return "/".join(p for p in (scope.project, scope.environment) if p) or "workspace"


def _event_target(call: Call, workspace_id: str, scope: Scope) -> str:
    """Where a role change applies, as its audit event's target: ``shop/dev``, ``shop``, or
    ``workspace NAME`` for the whole workspace (a bare ``workspace`` read as a placeholder;
    a project's name holds no space, so neither is taken for the other)."""
    if scope.project:
        return _describe(scope)
    workspace = call.session.get(Workspace, workspace_id)
    return f"workspace {workspace.name}" if workspace is not None else "workspace"


def revoke_role(call: Call, *, workspace_id: str, principal_id: str, scope: Scope) -> Revocation:
    """Remove the binding at exactly ``scope``, and the tokens that lived on it
    (`token_cascade`); return the environments whose data keys the caller's client must now
    rotate: those the principal reads no more (`_lost`: not one a role it keeps covers) and
    every one those tokens could read."""
    lock_roles(call, workspace_id)  # before the check: another admin may be demoting us
    target, envs = scope_target(call, workspace_id, scope)
    require_role(call, target, Role.ADMIN)
    if principal_id == call.actor.principal_id:
        again = _revoke_command(call, principal_id, scope)
        raise refuse_own_change(call, target, "you cannot revoke your own role", again)
    lock_principal(call.session, principal_id)  # its last role: a creation checks it in turn
    project_match = (
        RoleBinding.project_id.is_(None)
        if target.project_id is None
        else RoleBinding.project_id == target.project_id
    )
    env_match = (
        RoleBinding.environment_id.is_(None)
        if target.environment_id is None
        else RoleBinding.environment_id == target.environment_id
    )
    removed = call.session.execute(
        delete(RoleBinding).where(
            RoleBinding.principal_id == principal_id,
            RoleBinding.workspace_id == workspace_id,
            project_match,
            env_match,
        )
    )
    if not getattr(removed, "rowcount", 0):
        raise RoleNotHeld.at(_shown(call, workspace_id, principal_id), _describe(scope))
    ended = end_uncovered_tokens(call, workspace_id)
    withdraw_unbacked(call, workspace_id=workspace_id)  # invites their makers no longer back
    append_event(
        call,
        workspace_id=workspace_id,
        action="member.revoke",
        target=_event_target(call, workspace_id, scope),
        project_id=target.project_id,
        details={"principal_id": principal_id, **ended.details()},
    )
    return revocation(call, workspace_id, _lost(call, workspace_id, principal_id, envs), ended)


def _lost(
    call: Call, workspace_id: str, principal_id: str, envs: Sequence[Environment]
) -> list[Environment]:
    """Of ``envs`` (the revoked role's), those the principal reads no more: one that a role it
    keeps still covers is left out, as a rotation there would seal it the new key and cut no
    one off (DESIGN §5: the effective role is the highest binding that covers the target).
    A principal that cannot act any more (disabled, a token ended or expired: no reader, so
    a rotation would cut it) loses them all, as does any doubt: the ended tokens' environments
    are added by `revocation` whatever this keeps."""
    principal = call.session.get(Principal, principal_id)
    if principal is None or not live(call, [principal]):
        return list(envs)
    kept = call.session.scalars(
        select(RoleBinding).where(
            RoleBinding.principal_id == principal_id, RoleBinding.workspace_id == workspace_id
        )
    )
    reached = {e.id for e in covered_environments(call, workspace_id, list(kept))}
    return [e for e in envs if e.id not in reached]


def remove_member(call: Call, *, workspace_id: str, principal_id: str) -> Revocation:
    """Drop every role a principal holds in the workspace (workspace admins), withdraw its
    pending invites there, and end the tokens it made (`token_cascade`); return the
    environments it and they could read, whose keys the caller's client rotates next."""
    lock_roles(call, workspace_id)  # before the check: another admin may be removing us
    require_role(call, Target(workspace_id), Role.ADMIN)
    if principal_id == call.actor.principal_id:
        again = shlex.join(
            ["envkeep", "member", "remove", _shown(call, workspace_id, principal_id)]
        )
        raise refuse_own_change(call, Target(workspace_id), "you cannot remove yourself", again)
    lock_principal(call.session, principal_id)  # a creation or a join checks its roles in turn
    bindings = list(
        call.session.scalars(
            select(RoleBinding).where(
                RoleBinding.principal_id == principal_id, RoleBinding.workspace_id == workspace_id
            )
        )
    )
    if not bindings:
        raise NotFoundError("that principal is not a member of this workspace")
    readable = covered_environments(call, workspace_id, bindings)
    for binding in bindings:
        call.session.delete(binding)
    call.session.flush()
    removed = call.session.get(Principal, principal_id)
    email = removed.name if removed is not None and removed.kind == "user" else None
    withdrawn = withdraw_all_for(call, workspace_id=workspace_id, email=email) if email else 0
    ended = end_uncovered_tokens(call, workspace_id)
    # The invites they made, and those of the tokens that ended with them: they back none.
    theirs = withdraw_unbacked(call, workspace_id=workspace_id)
    append_event(
        call,
        workspace_id=workspace_id,
        action="member.remove",
        target=_event_target(call, workspace_id, Scope()),
        details={
            "principal_id": principal_id,
            **({"invites_withdrawn": withdrawn} if withdrawn else {}),
            **({"their_invites_withdrawn": theirs} if theirs else {}),
            **ended.details(),
        },
    )
    return revocation(call, workspace_id, readable, ended)
