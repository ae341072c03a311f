"""The columns `session list`, `member sessions` and `token list` share: times in words
relative to now, as kubectl's AGE column gives them (``12d ago``, ``in 29d``: the exact ones
are in --json), a session's id cut to its first characters (`session revoke` takes the start
of one), and the client a session was started with (its User-Agent). A typical table fits
100 columns so."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

# The server writes a session's last use only once the stored one is this old
# (`app/session_marks.USED_STEP`): anything younger reads as within it.
USED_STEP_S = 300
# The most of a client's name a table shows; --json has it whole.
CLIENT_CHARS = 40
# The characters of a session's id a table shows, more where two listed share them.
ID_CHARS = 8


def relative(text: str | None, now: datetime | None = None) -> str:
    """A time as these tables show it: ``< 1m ago``, ``12m ago``, ``3h ago``, ``9d ago``, or
    ahead ``in 40m``, ``in 29d`` (minutes below 2 h, hours below 2 days); ``-`` for none."""
    age = _age(text, now)
    if not isinstance(age, float):
        return age
    if age <= -60:
        return f"in {_span(-age)}"
    return "< 1m ago" if age < 60 else f"{_span(age)} ago"


def used_ago(text: str | None, now: datetime | None = None) -> str:
    """When a session or token was last used, as ``relative``, but anything younger than
    ``USED_STEP_S`` (or a clock behind the server's) reads ``< 5m ago``; ``-`` where the
    server recorded none (a session from before it did, or an older server)."""
    age = _age(text, now)
    if not isinstance(age, float):
        return age
    return f"< {USED_STEP_S // 60}m ago" if age < USED_STEP_S else f"{_span(age)} ago"


def _age(text: str | None, now: datetime | None) -> float | str:
    """Seconds since ``text``; what a table shows instead where it is none (``-``) or not
    a time (the text as sent)."""
    if not text:
        return "-"
    from envkeep.core.timestamps import as_utc

    try:
        return ((now or datetime.now(UTC)) - as_utc(text)).total_seconds()
    except ValueError:
        return text


def _span(seconds: float) -> str:
    if seconds < 2 * 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 2 * 86400:
        return f"{int(seconds // 3600)}h"
    return f"{int(seconds // 86400)}d"


def short_ids(ids: Sequence[str]) -> dict[str, str]:
    """Each id as a table shows it: its first ``ID_CHARS`` characters, or as many more as
    tell it from every other listed."""
    shown: dict[str, str] = {}
    for found in ids:
        size = ID_CHARS
        while size < len(found) and any(o != found and o[:size] == found[:size] for o in ids):
            size += 1
        shown[found] = found[:size]
    return shown


def client(user_agent: str | None) -> str:
    """The client a session began with, cut to ``CLIENT_CHARS``; ``-`` where not recorded."""
    if not user_agent:
        return "-"
    if len(user_agent) <= CLIENT_CHARS:
        return user_agent
    return user_agent[: CLIENT_CHARS - 1] + "…"
