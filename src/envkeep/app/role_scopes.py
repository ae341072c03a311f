"""Where a role applies: a scope by name (workspace, project, environment), the environments it
covers, and a revocation's answer (the environments whose data keys the caller's client
rotates next). Shared by members' grants and revocations, tokens and invites."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from envkeep.app._lookup import environment_by_name, project_by_name
from envkeep.app.authz import require_role
from envkeep.app.policy import Binding, Role, Target, covers
from envkeep.app.views import AffectedEnvironment, Revocation
from envkeep.core.did_you_mean import did_you_mean
from envkeep.core.errors import UsageError
from envkeep.core.near_names import suggestions
from envkeep.store.models import Environment, Project, RoleBinding

if TYPE_CHECKING:
    from collections.abc import Sequence

    from envkeep.app.context import Call
    from envkeep.app.token_cascade import EndedTokens


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


def role_named(text: str) -> Role:
    """A role by name; a usage error listing the roles otherwise."""
    try:
        return Role.parse(text)
    except KeyError:
        close = suggestions(text, ("admin", "write", "read"), limit=1)
        meant = did_you_mean(close)
        known = "use admin, write or read"
        raise UsageError(
            f"unknown role '{text}'", hint=f"{meant} {known}" if meant else known
        ) from None


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


def revocation(
    call: Call, workspace_id: str, envs: Sequence[Environment], ended: EndedTokens
) -> Revocation:
    """``envs`` and every environment the ended tokens could read, named, with their names."""
    more = covered_environments(call, workspace_id, ended.bindings) if ended.bindings else []
    seen = {e.id for e in envs}
    every = [*envs, *(e for e in more if e.id not in seen)]
    return Revocation(affected_environments(call, every), ended.labels)
