"""A member's login sessions, as a workspace's admin sees and ends them (`member sessions`,
`member logout`): a stolen laptop or a leaked session file is cut off while the member keeps
their account, keys and roles (`member reset` takes those too).

Sessions belong to the account, not to one workspace: ending them logs the person out of every
workspace. So only an admin at workspace scope may, and only of an account whose every role is
in a workspace the caller administers (`account_reach`). Never the caller's own account (its
sessions are `session revoke`'s and `logout`'s) and never a service account (`token revoke`
ends a token, with the tokens it made, and says which keys to rotate). The listing shows when
and from where each session began and when it expires, never a token: only their hashes are
stored. An ended session's next request gets the 401 any ended session gets. The logout is
in the trail of each workspace the account is in: each one's admins learn their member was
logged out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.app.account_reach import (
    holds_role_in,
    require_account_within,
    workspaces_administered,
)
from envkeep.app.audit_append import append_to_workspaces
from envkeep.app.authz import require_role
from envkeep.app.context import aware
from envkeep.app.policy import Role, Target
from envkeep.app.sessions import end_sessions, live_sessions
from envkeep.core.errors import NotFoundError, UsageError
from envkeep.store.models import Principal, SessionToken

if TYPE_CHECKING:
    from envkeep.app.context import Call


@dataclass(frozen=True)
class MemberSession:
    """A live session of a member: its id, when it began and from which address (None where
    not recorded: a session older than migration 0008), and when it expires."""

    id: str
    created_at: str
    expires_at: str | None
    created_from: str | None
    last_used_at: str | None = None  # to within `session_marks.USED_STEP`, where recorded
    user_agent: str | None = None  # the client it was started with, where recorded


def member_sessions(call: Call, *, workspace_id: str, principal_id: str) -> list[MemberSession]:
    """A member's live sessions (not ended, not expired), oldest first."""
    _member(call, workspace_id, principal_id, _SEE)
    live = call.session.scalars(live_sessions(call, principal_id).order_by(SessionToken.created_at))
    return [
        MemberSession(
            s.id,
            aware(s.created_at).isoformat(),
            None if s.expires_at is None else aware(s.expires_at).isoformat(),
            s.created_from,
            None if s.last_used_at is None else aware(s.last_used_at).isoformat(),
            s.user_agent,
        )
        for s in live
    ]


@dataclass(frozen=True)
class MemberLogout:
    """What `end_member_sessions` did: how many sessions ended, and whether the member holds a
    role in another workspace too (all the caller's, or the logout was refused), so that a
    `member reset` here, which reaches this workspace only, would be refused until they are
    removed there."""

    ended: int
    elsewhere: bool


def end_member_sessions(
    call: Call, *, workspace_id: str, principal_id: str, session_id: str | None = None
) -> MemberLogout:
    """End every live session of a member, or only ``session_id``; one ``member.logout``
    event either way in the chain of each workspace the member holds a role in (all the
    caller's: `_member`), so each one's admins learn it, as they do of the account's own
    events (`audit_append.append_account_event`)."""
    account, held = _member(call, workspace_id, principal_id, _END)
    if session_id is not None and not _is_live(call, principal_id, session_id):
        raise NotFoundError(
            f"{account.name} has no live session with that id; nothing changed",
            hint=f"see theirs with: envkeep member sessions {account.name}",
        )
    ended = end_sessions(call, principal_id, session_id=session_id)
    details = {
        "principal_id": principal_id,
        "sessions_ended": ended,
        **({"session_id": session_id} if session_id is not None else {}),
    }
    # The set checked, not read again: a workspace the member joins meanwhile is not the
    # caller's, and gets nothing from this tenant.
    append_to_workspaces(call, held, action="member.logout", target=account.name, details=details)
    return MemberLogout(ended, elsewhere=held != {workspace_id})


def _is_live(call: Call, principal_id: str, session_id: str) -> bool:
    found = live_sessions(call, principal_id).where(SessionToken.id == session_id)
    return call.session.scalar(found) is not None


@dataclass(frozen=True)
class _Act:
    """What is done to a member's sessions, as refusals word it: ``doing`` in the one for an
    account another workspace shares, with ``hint``; ``own`` and ``own_hint``, the one for
    the caller's own account."""

    doing: str
    hint: str
    own: str
    own_hint: str


_SEE = _Act(
    "see the sessions of",
    "an admin of every workspace they are in can; or they see theirs: envkeep session list",
    "your own sessions are not listed this way",
    "see yours with: envkeep session list",
)
_END = _Act(
    "end the sessions of",
    "an admin of every workspace they are in can; or they end it themselves: envkeep session"
    " revoke ID, or envkeep account passphrase (ends every other one)",
    "your own sessions are not ended this way",
    "see yours with envkeep session list and end one with envkeep session revoke ID (envkeep"
    " logout ends this machine's)",
)


def _member(
    call: Call, workspace_id: str, principal_id: str, act: _Act
) -> tuple[Principal, frozenset[str]]:
    """The account and the workspaces it holds a role in, once the caller may act on its
    sessions (the module's docstring); one holding no role here is unknown, whatever it is,
    as `account_reach` answers it."""
    require_role(call, Target(workspace_id), Role.ADMIN)
    account = call.session.get(Principal, principal_id)
    if account is None or not holds_role_in(call, account, workspace_id):
        raise NotFoundError(
            "that principal is not a member of this workspace", hint="see: envkeep member list"
        )
    if account.id == call.actor.principal_id:
        raise UsageError(act.own, hint=act.own_hint)
    if account.kind != "user":
        raise UsageError(
            "a token has no login sessions",
            hint="end it, with the tokens it made, with: envkeep token revoke NAME",
        )
    held = require_account_within(
        call,
        account,
        workspace_id=workspace_id,
        within=workspaces_administered(call),
        doing=act.doing,
        hint=act.hint,
    )
    return account, held
