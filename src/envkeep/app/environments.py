"""Environments: the unit of encryption. Creating one stores the creator's sealed data key;
the creator's client then seals it to every other principal whose role opens the environment."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlalchemy import select

from envkeep.app import reads
from envkeep.app._lookup import authorised_environment, project_by_name
from envkeep.app.audit import append_event
from envkeep.app.authz import require_role
from envkeep.app.live_readers import live
from envkeep.app.member_list import Member
from envkeep.app.policy import Role, Target, covers
from envkeep.app.principals import principal_view
from envkeep.app.role_scopes import policy_binding
from envkeep.app.share_store import store_shares
from envkeep.app.views import EnvironmentView, NewEnvironment
from envkeep.app.writes import apply_writes, check_sizes
from envkeep.core.errors import (
    AlreadyExistsError,
    ConflictError,
    EnvironmentProtected,
    InputError,
    UsageError,
)
from envkeep.store.models import DataKeyShare, Environment, Principal, Project, RoleBinding

if TYPE_CHECKING:
    from collections.abc import Sequence

    from envkeep.app.context import Call
    from envkeep.app.share_store import NewShare

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
        check_sizes(new.writes)
        apply_writes(call, env, new.writes)
    if audit:
        append_event(
            call,
            workspace_id=project.workspace_id,
            action="environment.create",
            target=f"{project.name}/{new.name}",
            details={"variables": len(new.writes)},
            project_id=project.id,
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
    """A project's environments that the caller reads (`reads.list_environments`)."""
    return reads.list_environments(
        call.fetch, call.actor, workspace_id=workspace_id, project=project
    )


def delete_environment(call: Call, *, workspace_id: str, project: str, name: str) -> None:
    """Delete an environment with all its variables, versions and shares (admin). A protected
    one is refused: protection is lifted by its own change first."""
    found, env = authorised_environment(call, workspace_id, project, name, Role.ADMIN)
    if env.protected:
        raise EnvironmentProtected.named(name)
    call.session.delete(env)
    call.session.flush()
    append_event(
        call,
        workspace_id=workspace_id,
        action="environment.delete",
        target=f"{project}/{name}",
        project_id=found.id,
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
    found, env = authorised_environment(call, workspace_id, project, name, Role.ADMIN)
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
        project_id=found.id,
    )
    return environment_view(env)


def keys_missing(call: Call, *, workspace_id: str, project: str, environment: str) -> list[Member]:
    """The role bindings that open an environment whose principal holds no share of its
    current data key (admin on it): whom a new environment's creator seals its key to."""
    found, env = authorised_environment(call, workspace_id, project, environment, Role.ADMIN)
    return _unsealed(call, found, env)


def _unsealed(call: Call, project: Project, env: Environment) -> list[Member]:
    """:func:`keys_missing`, authorised: live principals only, one row per binding."""
    target = Target(project.workspace_id, project.id, env.id)
    held = set(
        call.session.scalars(
            select(DataKeyShare.recipient_id).where(
                DataKeyShare.environment_id == env.id, DataKeyShare.key_version == env.key_version
            )
        )
    )
    rows = call.session.execute(
        select(RoleBinding, Principal)
        .join(Principal, Principal.id == RoleBinding.principal_id)
        .where(RoleBinding.workspace_id == project.workspace_id, Principal.disabled_at.is_(None))
        .order_by(Principal.name)
    ).all()
    alive = {p.id for p in live(call, (p for _, p in rows))}  # no key for a dead token
    return [  # a binding that covers the environment names its project, or it too
        Member(
            principal_view(p),
            b.role,
            project.name if b.project_id else None,
            env.name if b.environment_id else None,
            1,
        )
        for b, p in rows
        if p.id in alive and p.id not in held and covers(policy_binding(b), target)
    ]


def share_data_key(
    call: Call, *, workspace_id: str, project: str, environment: str, shares: Sequence[NewShare]
) -> int:
    """Store shares of an environment's current data key, sealed by the caller's client to
    principals whose roles open it and who hold none yet (admin on it); return how many."""
    found, env = authorised_environment(call, workspace_id, project, environment, Role.ADMIN)
    due = {m.principal.id for m in _unsealed(call, found, env)}
    recipients: list[str] = []
    for share in shares:
        if share.environment_id != env.id:
            raise InputError("a share is for another environment", hint="run the command again")
        if share.key_version != env.key_version:
            raise ConflictError("the environment's key changed meanwhile", hint="run it again")
        if share.recipient_id not in due or share.recipient_id in recipients:
            raise InputError(
                "a share is for a principal whose role does not open environment"
                f" {project}/{environment}, or who holds its key already",
                hint="run the command again",
            )
        recipients.append(share.recipient_id)
    for recipient in recipients:
        store_shares(call, recipient, [env], shares)
    call.session.flush()
    append_event(
        call,
        workspace_id=workspace_id,
        action="environment.share",
        target=f"{project}/{environment}",
        details={"principal_ids": recipients},
        project_id=found.id,
    )
    return len(recipients)
