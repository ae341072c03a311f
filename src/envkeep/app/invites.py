"""A workspace's pending invites: listed beside its members, and withdrawn.

An invite (`accounts.create_invite`) waits, unaccepted, until it expires; meanwhile it gives
nobody anything, and its code joins once. Who may see it is who may see a role at its scope
(`authz.may_see_role_at`, `member list`'s rule); withdrawing it needs what making it needed:
admin at its scope. A withdrawn invite is deleted, so its code joins nothing; its audit event
keeps who withdrew which one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from envkeep.app._lookup import names_in_workspace
from envkeep.app.audit import append_event, shown_names
from envkeep.app.authz import check_role, may_see_role_at, require_member
from envkeep.app.context import aware
from envkeep.app.policy import Role, Target
from envkeep.core.errors import NotFoundError
from envkeep.store.models import Invite

if TYPE_CHECKING:
    from envkeep.app.context import Call


@dataclass(frozen=True)
class PendingInvite:
    """An invite not accepted yet, its scope by name (None: all of it); ``expired`` by the
    server's clock, which is the one `join` goes by."""

    id: str
    email: str
    role: str
    project: str | None
    environment: str | None
    created_at: str
    expires_at: str
    expired: bool
    invited_by: str | None = None  # as `audit` names its maker; None when not known


def _target(invite: Invite) -> Target:
    return Target(str(invite.workspace_id), invite.project_id, invite.environment_id)


def list_invites(call: Call, *, workspace_id: str) -> list[PendingInvite]:
    """The workspace's invites nobody accepted yet (expired ones too, until withdrawn), those
    whose scope the caller's roles reach: as `members.list_members` shows role bindings."""
    mine = require_member(call.fetch, call.actor.principal_id, workspace_id)
    rows = call.session.scalars(
        select(Invite)
        .where(Invite.workspace_id == workspace_id, Invite.accepted_at.is_(None))
        .order_by(Invite.email, Invite.created_at)
    )
    shown = [i for i in rows if may_see_role_at(mine, _target(i))]
    projects, envs = names_in_workspace(call, workspace_id)
    makers = shown_names(call, (i.created_by for i in shown))
    now = call.clock()
    return [
        PendingInvite(
            i.id,
            i.email,
            i.role,
            projects.get(i.project_id or ""),
            envs.get(i.environment_id or ""),
            aware(i.created_at).isoformat(),
            aware(i.expires_at).isoformat(),
            aware(i.expires_at) <= now,
            makers.get(i.created_by or ""),
        )
        for i in shown
    ]


def withdraw_invite(call: Call, *, workspace_id: str, invite_id: str) -> None:
    """Delete an invite nobody accepted yet (admins of its scope, as for making it), so that
    its code joins nothing; one audit event."""
    mine = require_member(call.fetch, call.actor.principal_id, workspace_id)  # a stranger: 403
    invite = call.session.get(Invite, invite_id)
    if invite is None or invite.workspace_id != workspace_id or invite.accepted_at is not None:
        raise NotFoundError(
            "no pending invite with that id in this workspace (accepted or withdrawn already?)",
            hint="see who is invited: envkeep member list",
        )
    check_role(mine, _target(invite), Role.ADMIN)
    projects, envs = names_in_workspace(call, workspace_id)
    # Conditional: an acceptance that got there first (the same row, locked) keeps its invite.
    gone = call.session.execute(
        delete(Invite)
        .where(Invite.id == invite.id, Invite.accepted_at.is_(None))
        .execution_options(synchronize_session=False)
    )
    if not getattr(gone, "rowcount", 0):
        raise NotFoundError("that invite was accepted meanwhile", hint="envkeep member list")
    append_event(
        call,
        workspace_id=workspace_id,
        action="invite.withdraw",
        target=invite.email,
        details={
            "role": invite.role,
            "project": projects.get(invite.project_id or ""),
            "environment": envs.get(invite.environment_id or ""),
        },
    )


def withdraw_all_for(call: Call, *, workspace_id: str, email: str) -> int:
    """Delete every invite to the workspace for ``email`` nobody accepted yet; how many (for a
    member's removal, whose caller is the workspace's admin: a removed member must not come
    back with a code sent earlier)."""
    gone = call.session.execute(
        delete(Invite)
        .where(
            Invite.workspace_id == workspace_id,
            Invite.email == email,
            Invite.accepted_at.is_(None),
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(gone, "rowcount", 0) or 0)
