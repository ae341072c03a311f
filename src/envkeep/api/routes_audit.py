"""A workspace's audit trail, page by page, for clients to read and verify."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from envkeep.api import schemas
from envkeep.api.deps import AuthedCall
from envkeep.app import audit

router = APIRouter(prefix="/v1/workspaces/{workspace_id}/audit", tags=["audit"])

# A seq is a database BIGINT: a cursor past it is refused (422), not sent to the database (500).
AfterParam = Annotated[int, Query(ge=0, le=2**63 - 1, description="the seq to page on from")]


@router.get("")
def events(
    workspace_id: str,
    call: AuthedCall,
    after: AfterParam = 0,
    limit: int = 500,
    principal: str | None = None,
    action: str | None = None,
    target: str | None = None,
    since: str | None = None,
    until: str | None = None,
    newest: bool = False,
    subject: str | None = None,
    project: str | None = None,
    fallback_project: str | None = None,
) -> schemas.AuditPage:
    """Events after ``after`` (a seq), oldest first; ``next_after`` pages on. With ``newest``,
    the last ``limit`` events that match instead (still oldest first; no next page).
    ``principal``: who acted; ``subject``: whom the events are about; ``project``: only that
    project's (its admin's read); ``fallback_project``: that project's when the caller is its
    admin but not the workspace's (``project`` in the answer says which project a page is
    limited to)."""
    found = audit.list_events(
        call,
        workspace_id=workspace_id,
        after=after,
        limit=limit,
        principal=principal,
        action=action,
        target=target,
        since=since,
        until=until,
        newest=newest,
        subject=subject,
        project=project,
        fallback_project=fallback_project,
    )
    page = [schemas.AuditEvent.model_validate(e) for e in found.events]
    full = not newest and len(page) >= max(1, min(limit, 5000))
    return schemas.AuditPage(
        events=page,
        next_after=page[-1].seq if full and page else None,
        names=found.names,
        project=found.project,
        project_id=found.project_id,
    )
