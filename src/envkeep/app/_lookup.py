"""Finding projects, services and environments by name, with errors that say what exists; and
a principal's role binding at one scope."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from envkeep.app.authz import may_create_in, may_list, may_reach, require_member, require_role
from envkeep.app.not_found import environment_not_found, project_not_found, service_not_found
from envkeep.app.policy import Binding, Role, Target
from envkeep.store.models import Environment, Project, RoleBinding, Service

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from envkeep.app.context import Call


def names_in_workspace(call: Call, workspace_id: str) -> tuple[dict[str, str], dict[str, str]]:
    """The names of the workspace's projects and environments, by id (for showing a role's
    scope by name); the caller has authorised the read."""
    projects = {
        p.id: p.name
        for p in call.session.scalars(select(Project).where(Project.workspace_id == workspace_id))
    }
    envs = {
        e.id: e.name
        for e in call.session.scalars(
            select(Environment).where(Environment.project_id.in_(list(projects)))
        )
    }
    return projects, envs


def project_by_name(call: Call, workspace_id: str, name: str) -> Project:
    """The project called ``name`` in the workspace, or ProjectNotFound (naming what exists to
    callers who may list it), also for a project none of the caller's bindings reaches, which
    is not told apart from a missing one; PermissionDenied first for a stranger to the
    workspace."""
    bindings = require_member(call.fetch, call.actor.principal_id, workspace_id)
    projects = list(
        call.session.scalars(select(Project).where(Project.workspace_id == workspace_id))
    )
    for project in projects:
        if project.name == name and may_reach(bindings, Target(workspace_id, project.id)):
            return project
    where = Target(workspace_id)
    found = [p.name for p in projects] if may_list(bindings, where) else None
    raise project_not_found(name, found, creates=may_create_in(bindings, where))


def _bindings_in(call: Call, project: Project) -> tuple[list[Binding], Target]:
    """The caller's bindings in the project's workspace, and the project as a target."""
    bindings = require_member(call.fetch, call.actor.principal_id, project.workspace_id)
    return bindings, Target(project.workspace_id, project.id)


def environment_by_name(call: Call, project: Project, name: str) -> Environment:
    """The environment called ``name`` in the project, or EnvironmentNotFound naming what exists."""
    envs = list(
        call.session.scalars(select(Environment).where(Environment.project_id == project.id))
    )
    for env in envs:
        if env.name == name:
            return env
    bindings, where = _bindings_in(call, project)
    found = [e.name for e in envs] if may_list(bindings, where) else None
    raise environment_not_found(name, project.name, found, creates=may_create_in(bindings, where))


def authorised_environment(
    call: Call, workspace_id: str, project: str, environment: str, role: Role
) -> tuple[Project, Environment]:
    """The project and environment by name, once the caller holds ``role`` on the environment
    (PermissionDenied otherwise): the prologue of every use case on one environment."""
    found = project_by_name(call, workspace_id, project)
    env = environment_by_name(call, found, environment)
    require_role(call, Target(workspace_id, found.id, env.id), role)
    return found, env


def service_by_name(call: Call, project: Project, name: str) -> Service:
    """The service called ``name`` in the project, or ServiceNotFound naming what exists."""
    services = list(call.session.scalars(select(Service).where(Service.project_id == project.id)))
    for service in services:
        if service.name == name:
            return service
    bindings, where = _bindings_in(call, project)
    listed = may_list(bindings, where)
    raise service_not_found(name, project.name, [s.name for s in services] if listed else None)


def binding_at(session: Session, principal_id: str, target: Target) -> RoleBinding | None:
    """The principal's binding at exactly ``target``'s scope (not one that covers it), if any."""
    return session.scalar(
        select(RoleBinding).where(
            RoleBinding.principal_id == principal_id,
            RoleBinding.workspace_id == target.workspace_id,
            RoleBinding.project_id == target.project_id,  # None compares as IS NULL
            RoleBinding.environment_id == target.environment_id,
        )
    )
