"""A member's login sessions, for a workspace's admin: listed, and ended (all or one)."""

from __future__ import annotations

from fastapi import APIRouter

from envkeep.api import member_session_schemas as bodies
from envkeep.api.deps import AuthedCall
from envkeep.app import member_sessions

router = APIRouter(prefix="/v1/workspaces/{workspace_id}", tags=["members"])


@router.get("/members/{principal_id}/sessions")
def list_member_sessions(
    workspace_id: str, principal_id: str, call: AuthedCall
) -> list[bodies.MemberSession]:
    """A member's live sessions: when and from where each began, when it expires (workspace
    admins, of an account whose every role is in a workspace they administer)."""
    found = member_sessions.member_sessions(
        call, workspace_id=workspace_id, principal_id=principal_id
    )
    return [bodies.MemberSession.model_validate(s) for s in found]


@router.post("/members/{principal_id}/sessions/end")
def end_member_sessions(
    workspace_id: str, principal_id: str, body: bodies.EndMemberSessions, call: AuthedCall
) -> bodies.MemberSessionsEnded:
    """End every live session of a member, or the one named: their next request with it is
    refused as any ended session's is (401). Their account, keys and roles stay."""
    done = member_sessions.end_member_sessions(
        call, workspace_id=workspace_id, principal_id=principal_id, session_id=body.session_id
    )
    return bodies.MemberSessionsEnded(ended=done.ended, elsewhere=done.elsewhere)
