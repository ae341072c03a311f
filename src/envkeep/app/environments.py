"""Environments: the unit of encryption. Creating one stores the creator's sealed data key."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlalchemy import select

from envkeep.app._lookup import environment_by_name, project_by_name
from envkeep.app.audit import append_event
from envkeep.app.authz import require_role
from envkeep.app.policy import Role, Target
from envkeep.app.views import EnvironmentView, NewEnvironment
from envkeep.app.writes import apply_writes
from envkeep.core.errors import AlreadyExistsError, UsageError
from envkeep.store.models import DataKeyShare, Environment, Project

if TYPE_CHECKING:
    from envkeep.app.context import Call

ENV_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")


def environment_view(env: Environment) -> EnvironmentView:
    return EnvironmentView(
        id=env.id,
        project_id=env.project_id,
        name=env.name,
        key_version=env.key_version,
        revision=env.revision,
        protected=env.protected,
        description=env.description,
    )


def check_environment_name(name: str) -> None:
    """Environment names are short lowercase slugs (dev, staging, prod-eu)."""
    if not ENV_NAME.fullmatch(name):
        raise UsageError(
            f"'{name}' is not a valid environment name",
            hint="use lowercase letters, digits, '-' and '_' (e.g. dev, staging, prod-eu)",
        )


def add_environment(
    call: Call, project: Project, new: NewEnvironment, *, audit: bool = True
) -> Environment:
    """Insert an environment and the creator's share; the caller has checked authorisation
    (and, with ``audit=False``, records the whole request's event itself)."""
    check_environment_name(new.name)
    exists = call.session.scalar(
        select(Environment).where(
            Environment.project_id == project.id, Environment.name == new.name
        )
    )
    if exists is not None:
        raise AlreadyExistsError(f"environment '{new.name}' already exists in '{project.name}'")
    if call.session.get(Environment, new.id) is not None:
        raise AlreadyExistsError("that environment id is taken; retry the command")
    now = call.clock()
    env = Environment(
        id=new.id,
        project_id=project.id,
        name=new.name,
        key_version=new.key_version,
        revision=0,
        protected=False,
        created_at=now,
    )
    call.session.add(env)
    call.session.flush()
    call.session.add(
        DataKeyShare(
            id=call.new_id(),
            environment_id=env.id,
            key_version=new.key_version,
            recipient_id=call.actor.principal_id,
            sharer_id=call.actor.principal_id,
            sealed=new.sealed_share,
            created_at=now,
        )
    )
    call.session.flush()
    if new.writes:
        apply_writes(call, env, new.writes)
    if audit:
        append_event(
            call,
            workspace_id=project.workspace_id,
            action="environment.create",
            target=f"{project.name}/{new.name}",
            details={"variables": len(new.writes)},
        )
    return env


def create_environment(
    call: Call, *, workspace_id: str, project: str, new: NewEnvironment
) -> EnvironmentView:
    """Create one more environment in a project (admin on the project)."""
    found = project_by_name(call, workspace_id, project)
    require_role(call, Target(workspace_id, found.id), Role.ADMIN)
    return environment_view(add_environment(call, found, new))


def list_environments(call: Call, *, workspace_id: str, project: str) -> list[EnvironmentView]:
    """A project's environments (read on the project)."""
    found = project_by_name(call, workspace_id, project)
    require_role(call, Target(workspace_id, found.id), Role.READ)
    rows = call.session.scalars(
        select(Environment)
        .where(Environment.project_id == found.id)
        .order_by(Environment.created_at)
    )
    return [environment_view(e) for e in rows]


def delete_environment(call: Call, *, workspace_id: str, project: str, name: str) -> None:
    """Delete an environment with all its variables, versions and shares (admin)."""
    found = project_by_name(call, workspace_id, project)
    env = environment_by_name(call, found, name)
    require_role(call, Target(workspace_id, found.id, env.id), Role.ADMIN)
    call.session.delete(env)
    call.session.flush()
    append_event(
        call, workspace_id=workspace_id, action="environment.delete", target=f"{project}/{name}"
    )


def update_environment(
    call: Call,
    *,
    workspace_id: str,
    project: str,
    name: str,
    rename: str | None = None,
    description: str | None = None,
    protected: bool | None = None,
) -> EnvironmentView:
    """Rename, describe, or (un)protect an environment (admin). Values are bound to the
    environment's id, not its name, so a rename re-encrypts nothing."""
    found = project_by_name(call, workspace_id, project)
    env = environment_by_name(call, found, name)
    require_role(call, Target(workspace_id, found.id, env.id), Role.ADMIN)
    changes: dict[str, object] = {}
    if rename is not None and rename != env.name:
        check_environment_name(rename)
        taken = call.session.scalar(
            select(Environment).where(
                Environment.project_id == found.id, Environment.name == rename
            )
        )
        if taken is not None:
            raise AlreadyExistsError(f"environment '{rename}' already exists in '{project}'")
        env.name = changes["name"] = rename
    if description is not None:
        env.description = description or None
        changes["description"] = "changed"
    if protected is not None:
        env.protected = changes["protected"] = protected
    call.session.flush()
    append_event(
        call,
        workspace_id=workspace_id,
        action="environment.update",
        target=f"{project}/{name}",
        details=changes,
    )
    return environment_view(env)
