"""`member list`: the role bindings a member may see, with the principals' public keys and how
many of the environments each role opens its principal holds no key share of."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from envkeep.app._lookup import names_in_workspace
from envkeep.app.authz import may_see_role_at, require_member
from envkeep.app.live_readers import live
from envkeep.app.policy import Target, covers
from envkeep.app.principals import principal_view
from envkeep.app.role_scopes import policy_binding
from envkeep.store.models import DataKeyShare, Environment, Principal, Project, RoleBinding

if TYPE_CHECKING:
    from collections.abc import Callable

    from envkeep.app.context import Call
    from envkeep.app.views import PrincipalView


@dataclass(frozen=True)
class Member:
    principal: PrincipalView
    role: str
    project: str | None
    environment: str | None
    keys_missing: int = 0  # environments the role opens whose current key it holds no share of
    expired: bool = False  # a token no token of which works now: it is sealed no key (`live`)


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
    ).all()
    alive = {p.id for p in live(call, {p.id: p for _, p in rows}.values())}
    missing = _keys_missing(call, workspace_id)
    return [
        Member(
            principal_view(p),
            b.role,
            projects.get(b.project_id or ""),
            envs.get(b.environment_id or ""),
            missing(b) if p.id in alive else 0,  # a dead token is owed no key
            expired=p.id not in alive,
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
