"""Projects, services and environments of a workspace."""

from __future__ import annotations

from fastapi import APIRouter

from envkeep.api import schemas
from envkeep.api.convert import new_environment
from envkeep.api.deps import AuthedCall
from envkeep.app import environments, projects, services, share_store

router = APIRouter(prefix="/v1/workspaces/{workspace_id}/projects", tags=["projects"])


@router.post("", status_code=201)
def create_project(
    workspace_id: str, body: schemas.NewProject, call: AuthedCall
) -> schemas.ProjectCreated:
    """A project with its first environments (each with the creator's sealed data key)."""
    created = projects.create_project(
        call,
        workspace_id=workspace_id,
        name=body.name,
        environments=[new_environment(e) for e in body.environments],
    )
    return schemas.ProjectCreated.model_validate(created)


@router.get("")
def list_projects(workspace_id: str, call: AuthedCall) -> list[schemas.Project]:
    """The workspace's projects."""
    found = projects.list_projects(call, workspace_id=workspace_id)
    return [schemas.Project.model_validate(p) for p in found]


@router.get("/{project}/services")
def list_services(workspace_id: str, project: str, call: AuthedCall) -> list[schemas.Service]:
    """A project's services."""
    found = services.list_services(call, workspace_id=workspace_id, project=project)
    return [schemas.Service.model_validate(s) for s in found]


@router.post("/{project}/services", status_code=201)
def add_service(
    workspace_id: str, project: str, body: schemas.NewService, call: AuthedCall
) -> schemas.Service:
    """Register a service."""
    found = services.add_service(
        call,
        workspace_id=workspace_id,
        project=project,
        name=body.name,
        path=body.path,
        schema_path=body.schema_path,
    )
    return schemas.Service.model_validate(found)


@router.delete("/{project}/services/{name}", status_code=204)
def remove_service(workspace_id: str, project: str, name: str, call: AuthedCall) -> None:
    """Remove a service and its variables."""
    services.remove_service(call, workspace_id=workspace_id, project=project, name=name)


@router.get("/{project}/environments")
def list_environments(
    workspace_id: str, project: str, call: AuthedCall
) -> list[schemas.Environment]:
    """A project's environments."""
    found = environments.list_environments(call, workspace_id=workspace_id, project=project)
    return [schemas.Environment.model_validate(e) for e in found]


@router.post("/{project}/environments", status_code=201)
def create_environment(
    workspace_id: str, project: str, body: schemas.NewEnvironment, call: AuthedCall
) -> schemas.Environment:
    """A new environment (with initial values when cloning)."""
    found = environments.create_environment(
        call, workspace_id=workspace_id, project=project, new=new_environment(body)
    )
    return schemas.Environment.model_validate(found)


@router.get("/{project}/environments/{environment}/keys-missing")
def keys_missing(
    workspace_id: str, project: str, environment: str, call: AuthedCall
) -> list[schemas.Member]:
    """The roles that open an environment whose holder has no share of its current key."""
    found = environments.keys_missing(
        call, workspace_id=workspace_id, project=project, environment=environment
    )
    return [schemas.Member.model_validate(m) for m in found]


@router.post("/{project}/environments/{environment}/shares", status_code=204)
def share_key(
    workspace_id: str,
    project: str,
    environment: str,
    shares: list[schemas.NewShare],
    call: AuthedCall,
) -> None:
    """Shares of an environment's current key for those its roles open who hold none yet
    (the body: a list of them)."""
    environments.share_data_key(
        call,
        workspace_id=workspace_id,
        project=project,
        environment=environment,
        shares=[share_store.NewShare(**s.model_dump()) for s in shares],
    )


@router.patch("/{project}/environments/{name}")
def update_environment(
    workspace_id: str, project: str, name: str, body: schemas.EnvironmentChange, call: AuthedCall
) -> schemas.Environment:
    """Rename, describe or (un)protect an environment."""
    found = environments.update_environment(
        call,
        workspace_id=workspace_id,
        project=project,
        name=name,
        rename=body.rename,
        description=body.description,
        protected=body.protected,
    )
    return schemas.Environment.model_validate(found)


@router.delete("/{project}/environments/{name}", status_code=204)
def delete_environment(workspace_id: str, project: str, name: str, call: AuthedCall) -> None:
    """Delete an environment with everything in it."""
    environments.delete_environment(call, workspace_id=workspace_id, project=project, name=name)
