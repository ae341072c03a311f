"""Bodies of `member sessions` and `member logout` (`routes_member_sessions`)."""

from __future__ import annotations

from pydantic import Field

from envkeep.api.schemas import Body


class MemberSession(Body):
    """A member's live session: never its token (only a hash of it is stored)."""

    id: str
    created_at: str
    expires_at: str | None
    created_from: str | None = None  # the address it began from, where recorded
    last_used_at: str | None = None  # when last used, to within 5 minutes, where recorded
    user_agent: str | None = None  # the client it began with (its User-Agent), where recorded


class EndMemberSessions(Body):
    """Which of the member's sessions to end: one by its id, or (None) every live one."""

    session_id: str | None = Field(default=None, max_length=36)


class MemberSessionsEnded(Body):
    """How many sessions ended; ``elsewhere``: the member holds a role in another workspace
    too, so `member reset` here is refused until they are removed there."""

    ended: int
    elsewhere: bool
