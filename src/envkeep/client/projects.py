"""Client use cases for the project structure: init, services, environments."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from envkeep import crypto
from envkeep.app.environments import NewEnvironment
from envkeep.core.errors import AlreadyExistsError, UsageError
from envkeep.core.files import write_atomic
from envkeep.core.projectfile import (
    FILENAME,
    ProjectFile,
    ServiceEntry,
    find_project_file,
    render_project_file,
)

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from envkeep.app.views import EnvironmentView, ServiceView
    from envkeep.client.context import ClientContext
    from envkeep.client.identity import Identity

DEFAULT_ENVIRONMENTS = ("dev", "staging", "prod")


def new_environment(identity: Identity, name: str) -> NewEnvironment:
    """A fresh environment id and data key, sealed to (and signed by) the creator."""
    env_id = str(uuid.uuid4())
    sealed = crypto.seal_share(
        crypto.new_data_key(),
        env_id=env_id,
        key_version=1,
        recipient_id=identity.principal_id,
        recipient=identity.record.public,
        sharer=identity.keys,
    )
    return NewEnvironment(id=env_id, name=name, sealed_share=sealed)


def _save(project: ProjectFile) -> None:
    write_atomic(project.path, render_project_file(project).encode(), mode=0o644)


def init_project(
    ctx: ClientContext, name: str, environments: Sequence[str] = DEFAULT_ENVIRONMENTS
) -> ProjectFile:
    """Create the project in the store and write ./envkeep.toml (refusing to overwrite one)."""
    target = ctx.cwd / FILENAME
    if target.exists():
        raise AlreadyExistsError(
            f"{target} already exists", hint="this directory already has a project; edit that file"
        )
    if not environments:
        raise UsageError("a project needs at least one environment")
    news = [new_environment(ctx.identity, env) for env in dict.fromkeys(environments)]
    ctx.backend.create_project(name, news)
    project = ProjectFile(project=name, root=ctx.cwd, default_env=news[0].name)
    _save(project)
    return project


def add_service(
    ctx: ClientContext, name: str, *, path: str | None, schema: str | None
) -> ServiceView:
    """Register a service in the store and in envkeep.toml."""
    project = ctx.project_file
    if path is not None and not (project.root / path).is_dir():
        raise UsageError(
            f"service path {path} is not a directory under {project.root}",
            hint="create the directory first, or pass --path relative to the project root",
        )
    service = ctx.backend.add_service(project.project, name, path=path, schema_path=schema)
    _save(project.with_service(ServiceEntry(name, path, schema)))
    return service


def list_services(ctx: ClientContext) -> list[ServiceView]:
    """The project's services as the store knows them."""
    return ctx.backend.list_services(ctx.project_file.project)


def remove_service(ctx: ClientContext, name: str) -> None:
    """Remove a service (and its variables) from the store and envkeep.toml."""
    project = ctx.project_file
    ctx.backend.remove_service(project.project, name)
    _save(project.without_service(name))


def create_environment(ctx: ClientContext, name: str) -> EnvironmentView:
    """A new environment with its own data key."""
    return ctx.backend.create_environment(
        ctx.project_file.project, new_environment(ctx.identity, name)
    )


def list_environments(ctx: ClientContext) -> list[EnvironmentView]:
    """The project's environments."""
    return ctx.backend.list_environments(ctx.project_file.project)


def delete_environment(ctx: ClientContext, name: str) -> None:
    """Delete an environment and everything in it."""
    ctx.backend.delete_environment(ctx.project_file.project, name)


def project_root(cwd: Path) -> Path | None:
    """The directory holding the nearest envkeep.toml."""
    found = find_project_file(cwd)
    return None if found is None else found.parent
