"""Members, roles and key shares: granting (with the grantee's shares, sealed client-side) and
revoking (`key_rotation` then switches the environments a revocation affects to new keys).

No privilege escalation: a principal grants only at scopes where it is an admin, and never a
role above the one it holds there; it changes no role of its own (another admin does: a sole
admin would lock the workspace). A grant must bring a share of every environment it opens,
so access is cryptographic, not only policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from envkeep.app._lookup import (
    binding_at,
    environment_by_name,
    names_in_workspace,
    project_by_name,
)
from envkeep.app.audit import append_event
from envkeep.app.authz import may_see_role_at, require_member, require_role
from envkeep.app.grantees import grantable
from envkeep.app.invites import grant_command, withdraw_all_for
from envkeep.app.policy import Binding, Role, Target, covers
from envkeep.app.principal_labels import shown_name
from envkeep.app.principals import principal_view
from envkeep.app.token_cascade import EndedTokens, end_uncovered_tokens
from envkeep.app.views import AffectedEnvironment, Revocation
from envkeep.core.errors import (
    InputError,
    NotFoundError,
    RoleNotHeld,
    UsageError,
)
from envkeep.store.models import DataKeyShare, Environment, Principal, Project, RoleBinding

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from envkeep.app.context import Call
    from envkeep.app.views import PrincipalView


@dataclass(frozen=True)
class NewShare:
    """A data key sealed by the caller's client to one recipient."""

    environment_id: str
    key_version: int
    recipient_id: str
    sealed: bytes


@dataclass(frozen=True)
class Member:
    principal: PrincipalView
    role: str
    project: str | None
    environment: str | None
    keys_missing: int = 0  # environments the role opens whose current key it holds no share of


@dataclass(frozen=True)
class Scope:
    """Where a role applies, by name (None: the whole workspace / the whole project)."""

    project: str | None = None
    environment: str | None = None


def scope_target(call: Call, workspace_id: str, scope: Scope) -> tuple[Target, list[Environment]]:
    """The scope as ids, and every environment it covers."""
    if scope.project is None:
        if scope.environment is not None:
            raise UsageError("an environment needs its project", hint="pass --project too")
        projects = call.session.scalars(
            select(Project.id).where(Project.workspace_id == workspace_id)
        )
        envs = call.session.scalars(
            select(Environment).where(Environment.project_id.in_(list(projects)))
        )
        return Target(workspace_id), list(envs)
    project = project_by_name(call, workspace_id, scope.project)
    if scope.environment is None:
        envs = call.session.scalars(select(Environment).where(Environment.project_id == project.id))
        return Target(workspace_id, project.id), list(envs)
    env = environment_by_name(call, project, scope.environment)
    return Target(workspace_id, project.id, env.id), [env]


def environments_in_scope(
    call: Call, *, workspace_id: str, scope: Scope
) -> list[tuple[str, str, int, str]]:
    """(project name, environment name, key version, environment id) of each environment a
    scope covers, for the caller's client to seal shares (grants and tokens) or to find the
    environments a revocation named by id; readers of the scope may ask."""
    target, envs = scope_target(call, workspace_id, scope)
    require_role(call, target, Role.READ)
    names = {
        p.id: p.name
        for p in call.session.scalars(select(Project).where(Project.workspace_id == workspace_id))
    }
    return [(names[e.project_id], e.name, e.key_version, e.id) for e in envs]


def affected_environments(call: Call, envs: Sequence[Environment]) -> list[AffectedEnvironment]:
    """``envs`` (rows a use case found and authorised) named as a revocation's answer names
    them, so that the caller's client rotates them without listing the workspace."""
    projects = {e.project_id for e in envs}
    names: dict[str, str] = {}
    if projects:
        rows = call.session.execute(
            select(Project.id, Project.name).where(Project.id.in_(projects))
        )
        names = {str(project_id): str(name) for project_id, name in rows}
    return [AffectedEnvironment(names[e.project_id], e.name, e.id) for e in envs]


def grant_role(
    call: Call,
    *,
    workspace_id: str,
    principal_id: str,
    role: str,
    scope: Scope,
    shares: Sequence[NewShare],
) -> Revocation:
    """Bind ``role`` at ``scope`` and store the grantee's shares of every environment it opens.
    A grant that lowers a role ends the tokens that lived on it (`token_cascade`)."""
    wanted = role_named(role)
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
    if principal_id == call.actor.principal_id:  # as revoke's: a sole admin would lock all out
        again = grant_command(grantee.name, str(wanted), scope.project, scope.environment)
        raise UsageError(
            "you cannot change your own role; another admin can",
            hint=f"ask another admin to run: {again}",
        )
    store_shares(call, principal_id, envs, shares)
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
    append_event(
        call,
        workspace_id=workspace_id,
        action="member.grant",
        target=_describe(scope),
        details={
            "principal_id": principal_id,
            "role": str(wanted),
            "shares": len(shares),
            **ended.details(),
        },
    )
    return revocation(call, workspace_id, [], ended)


def role_named(text: str) -> Role:
    """A role by name; a usage error listing the roles otherwise."""
    try:
        return Role.parse(text)
    except KeyError:
        raise UsageError(f"unknown role '{text}'", hint="use admin, write or read") from None


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


def _describe(scope: Scope) -> str:
    return "/".join(p for p in (scope.project, scope.environment) if p) or "workspace"


def store_shares(
    call: Call, recipient: str, envs: Sequence[Environment], shares: Sequence[NewShare]
) -> None:
    """Store ``recipient``'s share of each environment at its current key version; every one
    must be there already or be given."""
    by_env = {(s.environment_id, s.key_version): s for s in shares if s.recipient_id == recipient}
    for env in envs:
        have = call.session.scalar(
            select(DataKeyShare).where(
                DataKeyShare.environment_id == env.id,
                DataKeyShare.key_version == env.key_version,
                DataKeyShare.recipient_id == recipient,
            )
        )
        share = by_env.get((env.id, env.key_version))
        if have is None and share is None:
            raise InputError(
                f"the grant lacks a key share of environment '{env.name}'",
                hint="run the command again (the client seals one per environment; an envkeep"
                " older than the server may seal too few: upgrade it)",
            )
        if have is None and share is not None:
            call.session.add(
                DataKeyShare(
                    id=call.new_id(),
                    environment_id=env.id,
                    key_version=env.key_version,
                    recipient_id=recipient,
                    sharer_id=call.actor.principal_id,
                    sealed=share.sealed,
                    created_at=call.clock(),
                )
            )


def revoke_role(call: Call, *, workspace_id: str, principal_id: str, scope: Scope) -> Revocation:
    """Remove the binding at exactly ``scope``, and the tokens that lived on it
    (`token_cascade`); return the environments whose data keys the caller's client must now
    rotate (those the principal and those tokens could read)."""
    target, envs = scope_target(call, workspace_id, scope)
    require_role(call, target, Role.ADMIN)
    if principal_id == call.actor.principal_id:
        raise UsageError("you cannot revoke your own role", hint="ask another admin")
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
    append_event(
        call,
        workspace_id=workspace_id,
        action="member.revoke",
        target=_describe(scope),
        details={"principal_id": principal_id, **ended.details()},
    )
    return revocation(call, workspace_id, envs, ended)


def policy_binding(binding: RoleBinding) -> Binding:
    """A stored role binding as the policy reads it."""
    return Binding(
        Role.parse(binding.role), binding.workspace_id, binding.project_id, binding.environment_id
    )


def covered_environments(
    call: Call, workspace_id: str, bindings: Sequence[RoleBinding | Binding]
) -> list[Environment]:
    """Every environment of the workspace that one of ``bindings`` opens."""
    held = [b if isinstance(b, Binding) else policy_binding(b) for b in bindings]
    projects = list(
        call.session.scalars(select(Project.id).where(Project.workspace_id == workspace_id))
    )
    envs = call.session.scalars(select(Environment).where(Environment.project_id.in_(projects)))
    return [
        e for e in envs if any(covers(b, Target(workspace_id, e.project_id, e.id)) for b in held)
    ]


def remove_member(call: Call, *, workspace_id: str, principal_id: str) -> Revocation:
    """Drop every role a principal holds in the workspace (workspace admins), withdraw its
    pending invites there, and end the tokens it made (`token_cascade`); return the
    environments it and they could read, whose keys the caller's client rotates next."""
    require_role(call, Target(workspace_id), Role.ADMIN)
    if principal_id == call.actor.principal_id:
        raise UsageError("you cannot remove yourself", hint="ask another admin")
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
    append_event(
        call,
        workspace_id=workspace_id,
        action="member.remove",
        target="workspace",
        details={
            "principal_id": principal_id,
            **({"invites_withdrawn": withdrawn} if withdrawn else {}),
            **ended.details(),
        },
    )
    return revocation(call, workspace_id, readable, ended)


def revocation(
    call: Call, workspace_id: str, envs: Sequence[Environment], ended: EndedTokens
) -> Revocation:
    """``envs`` and every environment the ended tokens could read, named, with their names."""
    more = covered_environments(call, workspace_id, ended.bindings) if ended.bindings else []
    seen = {e.id for e in envs}
    every = [*envs, *(e for e in more if e.id not in seen)]
    return Revocation(affected_environments(call, every), ended.labels)


def list_members(call: Call, *, workspace_id: str) -> list[Member]:
    """The workspace's role bindings that the caller's own reach into (all of them for a role
    on the workspace; for a role on a project, that project's and the workspace's: who else
    holds access where the caller does), with the principals' public keys."""
    mine = require_member(call.fetch, call.actor.principal_id, workspace_id)
    projects, envs = names_in_workspace(call, workspace_id)
    rows = call.session.execute(
        select(RoleBinding, Principal)
        .join(Principal, Principal.id == RoleBinding.principal_id)
        .where(RoleBinding.workspace_id == workspace_id)
        .order_by(Principal.name)
    )
    missing = _keys_missing(call, workspace_id)
    return [
        Member(
            principal_view(p),
            b.role,
            projects.get(b.project_id or ""),
            envs.get(b.environment_id or ""),
            missing(b),
        )
        for b, p in rows
        if may_see_role_at(mine, Target(workspace_id, b.project_id, b.environment_id))
    ]


def _keys_missing(call: Call, workspace_id: str) -> Callable[[RoleBinding], int]:
    """How many environments a binding opens whose current data key its principal holds no
    share of: a member invited with a role, before an admin's `member grant` sealed the keys."""
    current = call.session.execute(
        select(Environment.id, Environment.project_id, Environment.key_version)
        .join(Project, Project.id == Environment.project_id)
        .where(Project.workspace_id == workspace_id)
    ).all()
    shares = call.session.execute(  # of current keys only: not every share ever sealed
        select(DataKeyShare.recipient_id, DataKeyShare.environment_id, DataKeyShare.key_version)
        .join(
            Environment,
            (Environment.id == DataKeyShare.environment_id)
            & (Environment.key_version == DataKeyShare.key_version),
        )
        .join(Project, Project.id == Environment.project_id)
        .where(Project.workspace_id == workspace_id)
    )
    held = {(recipient, env_id, version) for recipient, env_id, version in shares}

    def missing(binding: RoleBinding) -> int:
        scope = policy_binding(binding)
        return sum(
            1
            for env_id, project_id, version in current
            if covers(scope, Target(workspace_id, project_id, env_id))
            and (binding.principal_id, env_id, version) not in held
        )

    return missing
