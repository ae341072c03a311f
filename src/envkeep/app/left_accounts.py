"""A user given a role while it holds none anywhere (a former member, removed from every
workspace) is logged out everywhere first: a session kept on a lost or stolen laptop, whose
owner was removed for it, must not come back to life with the role given back, by a `member
grant` or by an invite the person accepts logged in (`envkeep join` on a new laptop; that
session, the one accepting, stays). The removed member's sessions are not ended at the
removal itself: its requests meanwhile are refused and audited (`request.denied`), which an
admin wants to see, and its client deletes what it kept at the first refusal. Such a session
cannot give itself a role meanwhile either: a user holding none cannot create a workspace
(`workspaces.create_workspace`), which would make it a member "of another workspace" that no
later grant logs out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from envkeep.app.sessions import end_sessions
from envkeep.store.models import Principal, RoleBinding

if TYPE_CHECKING:
    from envkeep.app.context import Call


def end_sessions_of_roleless(call: Call, principal_id: str, *, keep: str | None = None) -> int:
    """End every live session of the user ``principal_id`` (but the one whose token hash is
    ``keep``) when it holds no role in any workspace now; how many were ended (none for a
    token, or for a member of another workspace: one tenant's admin does not log a user out
    of another's)."""
    principal = call.session.get(Principal, principal_id)
    if principal is None or principal.kind != "user" or not roleless(call, principal_id):
        return 0
    return end_sessions(call, principal_id, keep=keep)  # the live ones, as `member logout`


def roleless(call: Call, principal_id: str) -> bool:
    """Whether ``principal_id`` holds no role in any workspace."""
    held = select(RoleBinding.id).where(RoleBinding.principal_id == principal_id).limit(1)
    return call.session.scalar(held) is None
