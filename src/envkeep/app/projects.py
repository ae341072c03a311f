"""Projects: create with their first environments, list."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from envkeep.app.audit import append_event
from envkeep.app.authz import require_role
from envkeep.app.environments import add_environment
from envkeep.app.policy import Role, Target
from envkeep.app.project_names import check_project_name
from envkeep.app.views import NewEnvironment, ProjectCreated, ProjectView
from envkeep.core.errors import AlreadyExistsError
from envkeep.store.models import Project

if TYPE_CHECKING:
    from collections.abc import Sequence

    from envkeep.app.context import Call


def project_view(project: Project) -> ProjectView:
    return ProjectView(id=project.id, workspace_id=project.workspace_id, name=project.name)


def create_project(
    call: Call, *, workspace_id: str, name: str, environments: Sequence[NewEnvironment]
) -> ProjectCreated:
    """Create a project and its first environments (each with the creator's key share)."""
    require_role(call, Target(workspace_id), Role.ADMIN)
    check_project_name(name)
    taken = call.session.scalar(
        select(Project).where(Project.workspace_id == workspace_id, Project.name == name)
    )
    if taken is not None:
        raise AlreadyExistsError(
            f"project '{name}' already exists",
            hint="pick another name, or use it from its directory's envkeep.toml",
        )
    project = Project(
        id=call.new_id(), workspace_id=workspace_id, name=name, created_at=call.clock()
    )
    call.session.add(project)
    call.session.flush()
    for env in environments:
        add_environment(call, project, env, audit=False)
    append_event(  # one event per request: the project with its first environments
        call,
        workspace_id=workspace_id,
        action="project.create",
        target=name,
        details={"environments": [e.name for e in environments]},
        project_id=project.id,
    )
    return ProjectCreated(project_view(project), tuple(e.name for e in environments))


def list_projects(call: Call, *, workspace_id: str) -> list[ProjectView]:
    """Projects of a workspace the actor can see."""
    require_role(call, Target(workspace_id), Role.READ)
    rows = call.session.scalars(
        select(Project).where(Project.workspace_id == workspace_id).order_by(Project.name)
    )
    return [project_view(p) for p in rows]
