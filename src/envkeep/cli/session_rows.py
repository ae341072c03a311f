"""The columns `session list` and `member sessions` share about a session's use: when it was
last used, in words relative to now, and the client it was started with (its User-Agent)."""

from __future__ import annotations

from datetime import UTC, datetime

# The server writes a session's last use only once the stored one is this old
# (`app/session_marks.USED_STEP`): anything younger reads as within it.
USED_STEP_S = 300
# The most of a client's name a table shows; --json has it whole.
CLIENT_CHARS = 40


def used_ago(text: str | None, now: datetime | None = None) -> str:
    """When a session was last used, as a table shows it: ``< 5 min ago``, ``12 min ago``,
    ``3 h ago``, ``9 days ago``; ``-`` where the server recorded none (a session from before
    it did, or an older server)."""
    if not text:
        return "-"
    from envkeep.core.timestamps import as_utc

    try:
        age = ((now or datetime.now(UTC)) - as_utc(text)).total_seconds()
    except ValueError:
        return text  # not a time: shown as sent
    if age < USED_STEP_S:  # a clock behind the server's too
        return f"< {USED_STEP_S // 60} min ago"
    if age < 2 * 3600:
        return f"{int(age // 60)} min ago"
    if age < 2 * 86400:
        return f"{int(age // 3600)} h ago"
    return f"{int(age // 86400)} days ago"


def client(user_agent: str | None) -> str:
    """The client a session began with, cut to ``CLIENT_CHARS``; ``-`` where not recorded."""
    if not user_agent:
        return "-"
    if len(user_agent) <= CLIENT_CHARS:
        return user_agent
    return user_agent[: CLIENT_CHARS - 1] + "…"
