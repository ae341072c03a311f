"""Role changes in one workspace take turns (`members`: grant, revoke, remove).

Each change checks that its caller is an admin, then changes another principal's binding.
Two admins demoting or removing each other at once touch different rows, so at PostgreSQL's
READ COMMITTED neither waited for the other: each passed its check before the other
committed, and the workspace was left with no admin. Locking the workspace row first makes
the second wait, then check against what the first committed (and be refused). The audit
append locks the same row at the end of every transaction, so this adds no new lock order.
SQLite serialises every writer already (``BEGIN IMMEDIATE``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envkeep.app.context import Call

_LOCK_WORKSPACE = "SELECT id FROM workspaces WHERE id = :id FOR UPDATE"


def lock_roles(call: Call, workspace_id: str) -> None:
    """Wait for any other role change in the workspace to end; call before the caller's role
    is checked, so that the check reads what that change committed."""
    if call.session.get_bind().dialect.name != "sqlite":
        call.fetch(_LOCK_WORKSPACE, {"id": workspace_id})
