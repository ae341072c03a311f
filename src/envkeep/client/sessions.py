"""Your login sessions on the team server: listed, and one ended by its id or its start."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from envkeep.client.accounts import authed, forget_login, load_session
from envkeep.core.errors import NotAuthenticated, UsageError

if TYPE_CHECKING:
    from collections.abc import Callable

    from envkeep.client.accounts import LoggedOut, ServerSession
    from envkeep.settings import Settings


def user_authed(settings: Settings, what: str) -> tuple[ServerSession, Any]:
    """`authed`, for a command about the logged-in user's own ``what`` (sessions,
    workspaces): with ENVKEEP_TOKEN and no login, it says a token has none, rather than
    only that nobody is logged in."""
    if settings.token and load_session(settings) is None:
        raise NotAuthenticated(
            f"{what} belong to a user logged in here; ENVKEEP_TOKEN is a service token,"
            " which has none",
            hint="log in as yourself to see yours: envkeep login URL",
        )
    return authed(settings)


def list_sessions(settings: Settings) -> list[dict[str, Any]]:
    """Your sessions on the server you are logged in to."""
    from envkeep.api.schemas import SessionInfo
    from envkeep.client.answer_rows import read_rows

    _session, api = user_authed(settings, "sessions")
    try:
        found = api.request("GET", "/v1/sessions", answer=[SessionInfo])
    finally:
        api.close()
    return read_rows(SessionInfo, found)


@dataclass(frozen=True)
class SessionEnded:
    """A session `session revoke` ended; ``logged_out``: it was this machine's own, so this
    machine is logged out as `logout` leaves it (None for another session)."""

    session_id: str
    logged_out: LoggedOut | None


def revoke_session(
    settings: Settings, session_id: str, *, before_own: Callable[[], None] | None = None
) -> SessionEnded:
    """End one of your sessions, named by its id or the start of it (as `session list` shows
    it, a few characters are enough when no other session starts with them). Ending this
    machine's own session logs it out here too: its token is dead, and the keys and copies
    its login kept would otherwise outlive it; ``before_own`` runs first then (a question,
    which may raise to end nothing)."""
    from envkeep.api.schemas import SessionInfo
    from envkeep.client.answer_rows import read_rows

    session, api = user_authed(settings, "sessions")
    try:
        listed = read_rows(SessionInfo, api.request("GET", "/v1/sessions", answer=[SessionInfo]))
        session_id = session_id.lower()  # ids are lowercase; a pasted one may not be
        if len(session_id) < FULL_ID:
            session_id = session_starting(listed, session_id)
        own = any(str(s["id"]) == session_id and s["current"] for s in listed)
        if own and before_own is not None:
            before_own()
        api.request("DELETE", f"/v1/sessions/{session_id}")
    finally:
        api.close()
    return SessionEnded(session_id, forget_login(settings, session.url) if own else None)


FULL_ID = 36  # a session id is a UUID
_SHORTEST = 4  # characters of an id that name a session


def session_starting(
    sessions: list[dict[str, Any]],
    start: str,
    *,
    whose: str = "of yours",
    listing: str = "envkeep session list",
) -> str:
    """The id of the one session in ``sessions`` whose id starts with ``start``; ``whose``
    and ``listing`` name the owner and the command that lists them in a refusal."""
    from envkeep.core.errors import NotFoundError

    if len(start) < _SHORTEST:
        raise UsageError(
            f"'{start}' is too short to name a session",
            hint=f"give at least {_SHORTEST} characters of its id ({listing})",
        )
    found = [str(s["id"]) for s in sessions if str(s["id"]).startswith(start.lower())]
    if not found:
        raise NotFoundError(
            f"no session {whose} has an id starting with '{start}'",
            hint=f"see the sessions and their ids: {listing}",
        )
    if len(found) > 1:
        raise UsageError(
            f"{len(found)} sessions {whose} have ids starting with '{start}'",
            hint=f"give more of the id ({listing})",
        )
    return found[0]
