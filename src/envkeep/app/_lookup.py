"""Finding projects, services and environments by name, with errors that say what exists."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from envkeep.app.not_found import environment_not_found, project_not_found, service_not_found
from envkeep.store.models import Environment, Project, Service

if TYPE_CHECKING:
    from envkeep.app.context import Call


def project_by_name(call: Call, workspace_id: str, name: str) -> Project:
    """The project called ``name`` in the workspace, or ProjectNotFound naming what exists."""
    projects = list(
        call.session.scalars(select(Project).where(Project.workspace_id == workspace_id))
    )
    for project in projects:
        if project.name == name:
            return project
    raise project_not_found(name, [p.name for p in projects])


def environment_by_name(call: Call, project: Project, name: str) -> Environment:
    """The environment called ``name`` in the project, or EnvironmentNotFound naming what exists."""
    envs = list(
        call.session.scalars(select(Environment).where(Environment.project_id == project.id))
    )
    for env in envs:
        if env.name == name:
            return env
    raise environment_not_found(name, project.name, [e.name for e in envs])


def service_by_name(call: Call, project: Project, name: str) -> Service:
    """The service called ``name`` in the project, or ServiceNotFound naming what exists."""
    services = list(call.session.scalars(select(Service).where(Service.project_id == project.id)))
    for service in services:
        if service.name == name:
            return service
    raise service_not_found(name, project.name, [s.name for s in services])
