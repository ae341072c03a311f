"""`member sessions` and `member logout`: a workspace admin sees and ends a member's login
sessions (`app/member_sessions`), by the member's email and a session's id or its start."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from envkeep.api.member_session_schemas import MemberSession, MemberSessionsEnded
from envkeep.api.schemas import SessionsEnded
from envkeep.client.answer_rows import read_rows
from envkeep.client.answers import read_answer
from envkeep.client.members import lookup
from envkeep.client.sessions import FULL_ID, session_starting
from envkeep.client.team_server import team_backend
from envkeep.core.errors import UsageError

if TYPE_CHECKING:
    from envkeep.client.context import ClientContext
    from envkeep.client.http import HttpBackend


def member_sessions(ctx: ClientContext, email: str) -> list[dict[str, Any]]:
    """The member's live sessions: id, created_at, expires_at, created_from, last_used_at,
    user_agent (the last two None from an older server)."""
    backend, path = _sessions_path(ctx, email)
    return read_rows(MemberSession, backend.api.request("GET", path, answer=[MemberSession]))


@dataclass(frozen=True)
class LoggedOut:
    """How many of a member's sessions ended; ``elsewhere``: they hold a role in another of
    the caller's workspaces too, so a reset here is refused until they are removed there
    (None: a server too old to say)."""

    ended: int
    elsewhere: bool | None


def logout_member(ctx: ClientContext, email: str, session_id: str | None = None) -> LoggedOut:
    """End every live session of the member, or the one ``session_id`` names (its id or the
    start of it, as `member sessions` shows it)."""
    backend, path = _sessions_path(ctx, email)
    if session_id is not None:  # ids are lowercase: a pasted uppercase one names the same
        session_id = session_id.lower()
    if session_id is not None and len(session_id) < FULL_ID:
        listing = f"envkeep member sessions {shlex.quote(email)}"
        listed = backend.api.request("GET", path, answer=[MemberSession])
        listed = read_rows(MemberSession, listed)
        session_id = session_starting(listed, session_id, whose=f"of {email}", listing=listing)
    answer = backend.api.request(
        "POST", f"{path}/end", json={"session_id": session_id}, answer=MemberSessionsEnded
    )
    ended = read_answer(SessionsEnded, answer).ended  # an older server's: no elsewhere
    elsewhere = answer.get("elsewhere")
    return LoggedOut(ended, elsewhere if isinstance(elsewhere, bool) else None)


def _sessions_path(ctx: ClientContext, email: str) -> tuple[HttpBackend, str]:
    backend = team_backend(ctx)
    principal = lookup(ctx, email)
    if principal.kind == "service":
        raise UsageError(
            f"'{email}' is a token: it has no login sessions",
            hint=f"end it, with the tokens it made: envkeep token revoke {shlex.quote(email)}",
        )
    return backend, f"/v1/workspaces/{backend.workspace_id}/members/{principal.id}/sessions"
