"""Sessions: authenticating a bearer token, listing and ending the caller's own sessions,
and changing the passphrase (which ends every other session); which of an account's sessions
are live, and ending those (`end_sessions`: also a member's logout or reset, and a role given
back to an account holding none)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import or_, select, update

from envkeep.app import credentials
from envkeep.app.audit_append import append_account_event
from envkeep.app.context import aware, stored_moment
from envkeep.app.principal_labels import token_workspace
from envkeep.app.tokens import TOKEN_PREFIX
from envkeep.core.errors import NotAuthenticated, NotFoundError, PermissionDenied
from envkeep.store.models import Principal, SessionToken

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy import ColumnElement, Select

    from envkeep.app.context import Call
    from envkeep.app.ports import Fetch


class EndedToken(NotAuthenticated):
    """A service account's token that was real but is revoked or past its expiry: refused as
    any other bad token is, and its account and workspace kept for the refusal's audit event
    (`api/denials`): a leaked token still being tried is what an admin looks for."""

    def __init__(self, message: str, *, hint: str, principal_id: str, workspace_id: str) -> None:
        super().__init__(message, hint=hint, credential="token")
        self.principal_id = principal_id
        self.workspace_id = workspace_id


def _ended_token(fetch: Fetch, principal_id: str, message: str, hint: str) -> NotAuthenticated:
    """The refusal of a real token that ended: `EndedToken`, with the workspace its account's
    name holds (`principal_labels.token_workspace`); a plain refusal for any other account."""
    rows = fetch("SELECT name FROM principals WHERE id = :p", {"p": principal_id})
    workspace_id = token_workspace(str(rows[0][0])) if rows else None
    if workspace_id is None:
        return NotAuthenticated(message, hint=hint, credential="token")
    return EndedToken(message, hint=hint, principal_id=principal_id, workspace_id=workspace_id)


class Bearer(NamedTuple):
    """Whom a valid bearer token stands for: its principal, and its session (or token) row's
    id and last use as stored (`session_marks.used_due` says whether to write a newer one).
    A named tuple: made on every request, where a frozen dataclass's fields cost a call each."""

    principal_id: str
    session_id: str
    last_used_at: datetime | str | None


def authenticate(fetch: Fetch, *, token: str, now: datetime) -> Bearer:
    """Whom a bearer token stands for; NotAuthenticated if it is not valid now."""
    rows = fetch(
        "SELECT principal_id, expires_at, revoked_at, id, last_used_at FROM sessions"
        " WHERE token_hash = :hash",
        {"hash": credentials.token_hash(token)},
    )
    if not rows or rows[0][2] is not None or _expired(rows[0][1], now):
        if token.startswith(TOKEN_PREFIX):  # no login fixes a service account's token
            message = (
                "the service-account token (ENVKEEP_TOKEN) was refused: it was revoked, has"
                " expired or is mistyped"
            )
            hint = (
                "ask an admin of its workspace for a new one (envkeep token create NAME),"
                " or for the one that replaced it (envkeep token rotate NAME)"
            )
            if rows:  # the same words: the caller learns nothing it did not know
                raise _ended_token(fetch, str(rows[0][0]), message, hint)
            raise NotAuthenticated(message, hint=hint, credential="token")
        raise NotAuthenticated(
            "not logged in, or the session expired",
            hint="log in with: envkeep login URL",
            credential="session",
        )
    return Bearer(str(rows[0][0]), str(rows[0][3]), rows[0][4])


def _expired(expires_at: datetime | str | None, now: datetime) -> bool:
    moment = stored_moment(expires_at)
    return moment is not None and moment < now


def logout(call: Call, *, token: str) -> None:
    """Revoke the session the call was made with (a user's: a token is refused)."""
    refuse_token(call)
    found = call.session.scalar(
        select(SessionToken).where(SessionToken.token_hash == credentials.token_hash(token))
    )
    if found is not None and found.revoked_at is None:
        found.revoked_at = call.clock()
        call.session.flush()
    append_account_event(call, action="session.logout")


@dataclass(frozen=True)
class SessionView:
    id: str
    kind: str
    created_at: str
    expires_at: str | None
    current: bool
    created_from: str | None = None  # the address it was started from, where known
    last_used_at: str | None = None  # to within `session_marks.USED_STEP`, where recorded
    user_agent: str | None = None  # the client it was started with, where recorded


Throttle = Callable[[str], None]


def prove_passphrase(call: Call, *, auth_key: bytes, throttle: Throttle) -> Principal:
    """The caller's account, once ``auth_key`` (from its current passphrase) matches; every
    attempt first spends from ``throttle``'s budget for the account's name, which logins to it
    spend too, so that a stolen session guesses no faster than a login could."""
    principal = call.session.get(Principal, call.actor.principal_id)
    if principal is None:  # pragma: no cover - authentication found it in this transaction
        raise NotAuthenticated("the session's account is gone", hint="log in again")
    throttle(principal.name)
    if not credentials.login_key_matches(principal.auth_hash, auth_key):
        raise NotAuthenticated("the current passphrase is wrong", hint="try again")
    return principal


def change_passphrase(
    call: Call,
    *,
    token: str,
    old_auth_key: bytes,
    new_auth_key: bytes,
    kdf_salt: bytes,
    kdf_params: dict[str, int],
    wrapped_private_keys: bytes,
    throttle: Throttle,
) -> int:
    """Re-wrap the account's keys under a new passphrase (proved by the old one) and end every
    other session; return how many were ended."""
    principal = prove_passphrase(call, auth_key=old_auth_key, throttle=throttle)
    principal.auth_hash = credentials.hash_login_key(new_auth_key)
    principal.kdf_salt = kdf_salt
    principal.kdf_params = json.dumps(kdf_params, sort_keys=True)
    principal.wrapped_private_keys = wrapped_private_keys
    ended = end_sessions(call, principal.id, keep=credentials.token_hash(token))
    append_account_event(call, action="account.passphrase")
    return ended


def live_sessions(call: Call, principal_id: str) -> Select[SessionToken]:
    """The query of a user's live login sessions: not ended, not expired."""
    return _live(call, principal_id).where(SessionToken.kind == "session")


def _live(call: Call, principal_id: str) -> Select[SessionToken]:
    """A principal's credentials that work now, of either kind: not ended, not expired."""
    return select(SessionToken).where(*_working(call, principal_id))


def _working(call: Call, principal_id: str) -> tuple[ColumnElement[bool], ...]:
    return (
        SessionToken.principal_id == principal_id,
        SessionToken.revoked_at.is_(None),
        or_(SessionToken.expires_at.is_(None), SessionToken.expires_at > call.clock()),
    )


def end_sessions(
    call: Call, principal_id: str, *, session_id: str | None = None, keep: str | None = None
) -> int:
    """End every live session of an account (every device's, a stolen one's too), or only
    ``session_id`` of them, but never the one whose token hash is ``keep``; how many ended.
    An expired one is left as it is, and not counted: its token is refused already, and the
    count says what a listing showed. One conditional UPDATE: a session another transaction
    ended meanwhile (two logouts at once, on PostgreSQL) is neither ended again, its end
    moved later, nor counted twice."""
    which = [*_working(call, principal_id), SessionToken.kind == "session"]
    if session_id is not None:
        which.append(SessionToken.id == session_id)
    if keep is not None:
        which.append(SessionToken.token_hash != keep)
    ended = call.session.execute(
        update(SessionToken)
        .where(*which)
        .values(revoked_at=call.clock())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(ended, "rowcount", 0) or 0)


def list_sessions(call: Call, *, token: str) -> list[SessionView]:
    """The caller's own live sessions (never anyone else's): an expired one is not listed,
    as its token is refused."""
    current = credentials.token_hash(token)
    rows = call.session.scalars(
        _live(call, call.actor.principal_id).order_by(SessionToken.created_at)
    )
    return [
        SessionView(
            s.id,
            s.kind,
            aware(s.created_at).isoformat(),
            None if s.expires_at is None else aware(s.expires_at).isoformat(),
            s.token_hash == current,
            s.created_from,
            _when(s.last_used_at),
            s.user_agent,
        )
        for s in rows
    ]


def _when(moment: datetime | None) -> str | None:
    return None if moment is None else aware(moment).isoformat()


def revoke_session(call: Call, *, session_id: str) -> None:
    """End one of the caller's own sessions (a user's: a token is refused)."""
    refuse_token(call)
    found = call.session.get(SessionToken, session_id)
    if found is None or found.principal_id != call.actor.principal_id:
        raise NotFoundError("no such session of yours", hint="see them with: envkeep session list")
    if found.revoked_at is not None:  # its end keeps its own time, and one event
        raise NotFoundError(
            "that session is ended already; nothing changed",
            hint="see the live ones with: envkeep session list",
        )
    found.revoked_at = call.clock()
    call.session.flush()
    append_account_event(call, action="session.revoke")


def refuse_token(call: Call) -> None:
    """A service account's token is no session to log out of: ended that way, it would
    outlive nothing, yet the tokens it made would live on and no key would be rotated (`token
    revoke` ends them, and says which keys to rotate)."""
    principal = call.session.get(Principal, call.actor.principal_id)
    if principal is not None and principal.kind != "user":
        raise PermissionDenied(
            "a token does not log out or end sessions",
            hint="its creator or an admin ends it, with the tokens it made: envkeep token"
            " revoke NAME",
        )
