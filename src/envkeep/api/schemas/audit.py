"""The audit log's pages."""

from __future__ import annotations

from envkeep.api.schemas._body import Body


class AuditEvent(Body):
    workspace_id: str
    seq: int
    at: str
    principal_id: str | None
    action: str
    target: str
    outcome: str
    request_id: str | None
    ip: str | None
    details: str
    prev_hash: str
    hash: str
    # The project the event's target lies in (migration 0012; not hashed: the details name it
    # too, which are, for events since); None: the workspace's own, or older and not
    # derivable. Absent from an older server's answer.
    project_id: str | None = None


class AuditPage(Body):
    events: list[AuditEvent]
    next_after: int | None
    # principal id → email, or "token NAME": for showing who acted and whom an event is about
    names: dict[str, str] = {}
    # The project the page is limited to (its admin's read); None: the whole workspace's.
    project: str | None = None
    # Its id: what each event's project_id, and its details' where they hold one, must be.
    project_id: str | None = None
