"""Role changes in one workspace take turns (`members`: grant, revoke, remove).

Each change checks that its caller is an admin, then changes another principal's binding.
Two admins demoting or removing each other at once touch different rows, so at PostgreSQL's
READ COMMITTED neither waited for the other: each passed its check before the other
committed, and the workspace was left with no admin. A change first queues on an advisory
lock of the workspace, which only role changes take, so the second waits, then checks
against what the first committed (and is refused).

Not the workspace row itself: every transaction locks that row last (the audit append, and
any insert of a row referring to it), after the rows it changes. A role change holding it
first, then deleting an invite that an acceptance had claimed and was waiting on it to
finish, deadlocked with it (tests/test_role_lock_invite_order.py). The advisory lock keeps
the order every other transaction uses: its rows, then the workspace row.
SQLite serialises every writer already (``BEGIN IMMEDIATE``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envkeep.app.context import Call

# The advisory locks' class of role changes ("ekrl"), the workspace id hashed into the other
# half: two workspaces hashed alike only take turns.
ROLE_CHANGES = 0x656B726C
_QUEUE = "SELECT pg_advisory_xact_lock(CAST(:class AS integer), hashtext(:id))"


def lock_roles(call: Call, workspace_id: str) -> None:
    """Wait for any other role change in the workspace to end; call before the caller's role
    is checked, so that the check reads what that change committed."""
    if call.session.get_bind().dialect.name != "sqlite":
        call.fetch(_QUEUE, {"class": ROLE_CHANGES, "id": workspace_id})
