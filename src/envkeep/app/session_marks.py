"""What a session records of its use, for its owner (and their admins) to tell a stolen one
from their own: the client it was started with (its User-Agent, cleaned), and when it was
last used, coarsely: a request that authenticates with it writes the time only once the
stored one is older than ``USED_STEP``, so that a client reading every second does not make
every read write one more row (a read writes its audit event anyway, in the same transaction:
this adds a statement to at most one read of a session's per ``USED_STEP``). No audit event:
being used is no change anyone made."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from envkeep.app.context import sqlite_time, stored_moment

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from envkeep.app.ports import Fetch

USED_STEP = timedelta(minutes=5)
# The most of a User-Agent kept (the column's width): enough for any real client's.
AGENT_CHARS = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")

_LAST_USE = "SELECT last_used_at FROM sessions WHERE id = :id"
_MARK_USED = "UPDATE sessions SET last_used_at = :now WHERE id = :id"
# PostgreSQL locks rows: a long transaction of the same token's (a large import) holding its
# row would make every other request of that token wait for it to commit, for a mark only.
# SKIP LOCKED leaves a held row as it is (the next request due marks it). SQLite has no row
# locks: a transaction there holds the whole file, before any statement runs.
_MARK_USED_UNLESS_HELD = (
    "UPDATE sessions SET last_used_at = :now"
    " WHERE id = (SELECT id FROM sessions WHERE id = :id FOR UPDATE SKIP LOCKED)"
)


def client_of(user_agent: str | None) -> str | None:
    """A User-Agent as a session keeps and shows it: control characters (a terminal's escape
    sequences, line breaks) dropped, blanks collapsed, at most ``AGENT_CHARS``; None for
    none (or nothing left)."""
    if user_agent is None:
        return None
    cleaned = " ".join(_CONTROL.sub(" ", user_agent).split())[:AGENT_CHARS].rstrip()
    return cleaned or None


def used_due(last_used_at: datetime | str | None, now: datetime) -> bool:
    """Whether a request at ``now`` writes the session's last use: none stored, or the stored
    one ``USED_STEP`` old (or ahead of ``now``: a clock set back)."""
    stored = stored_moment(last_used_at)
    return stored is None or not (now - USED_STEP < stored <= now)


def mark_used(
    execute: Callable[[str, Mapping[str, object]], None],
    session_id: str,
    now: datetime,
    *,
    sqlite: bool,
) -> None:
    """Write ``now`` as the session's last use, as the ORM writes a time on that database."""
    if sqlite:
        execute(_MARK_USED, {"now": sqlite_time(now), "id": session_id})
    else:
        execute(_MARK_USED_UNLESS_HELD, {"now": now, "id": session_id})


def mark_again(
    fetch: Fetch,
    execute: Callable[[str, Mapping[str, object]], None],
    session_id: str,
    now: datetime,
    *,
    sqlite: bool,
) -> None:
    """Write the mark of a request whose own transaction rolled back (a refusal: a stolen
    session used only to probe is still used), unless another request wrote one since."""
    rows = fetch(_LAST_USE, {"id": session_id})
    if rows and used_due(rows[0][0], now):
        mark_used(execute, session_id, now, sqlite=sqlite)
