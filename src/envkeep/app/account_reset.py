"""An account reset: an admin voids a member's key pairs, and the person registers new ones.

For a forgotten passphrase (the only way to the private keys) or a stolen laptop (which holds
them unwrapped). In one transaction `reset_account` does what `member remove` does (their
roles here end, the tokens they made end with them, and the caller's client rotates every key
they could read), then voids the account: its wrapped private keys, KDF salt and login key
hash are deleted and it is disabled, so no passphrase logs in and no one is granted a role or
sealed a key for it; every session of it ends (the stolen laptop's too). It makes a one-time
invite marked ``resets`` (its role given back at `join`), with which the person registers new
key pairs for the SAME account (`accounts.accept_invite`): its id, and so its audit history,
kept. Clients that pinned the old keys refuse the new ones until `member verify`.

Tenant isolation: only an account whose every role is in the caller's workspace may be reset,
by that workspace's admins. One that holds a role in another workspace is refused, or one
tenant's admin would take over another tenant's member; its other workspaces' admins remove
it there first.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from envkeep.app.account_reach import holds_role_in, require_account_within
from envkeep.app.audit import append_event
from envkeep.app.authz import require_role
from envkeep.app.invites import create_invite, withdraw_all_for
from envkeep.app.members import remove_member
from envkeep.app.own_roles import refuse_own_change
from envkeep.app.policy import Role, Target
from envkeep.app.principal_lock import lock_principal
from envkeep.app.role_lock import lock_roles
from envkeep.app.sessions import end_sessions
from envkeep.app.views import Revocation
from envkeep.core.errors import NotFoundError, UsageError
from envkeep.store.models import AuditEvent, Principal, RoleBinding

if TYPE_CHECKING:
    from envkeep.app.context import Call


@dataclass(frozen=True)
class Reset:
    """What a reset did: the removal's revocation (keys to rotate), the reset invite's id and
    its code (None when the caller's client made the secret), and how many sessions ended."""

    revocation: Revocation
    invite_id: str
    code: str | None
    sessions_ended: int


def reset_account(
    call: Call,
    *,
    workspace_id: str,
    principal_id: str | None,
    role: str,
    email: str | None = None,
    project: str | None = None,
    environment: str | None = None,
    accept_hash: str | None = None,
) -> Reset:
    """Void a member's keys and sessions, remove them here (as `remove_member`), and make a
    one-time code that gives the same account new keys and ``role`` at that scope. The
    account by id, or by ``email`` (one reset before, which no lookup finds: it is disabled).

    It takes turns with other role changes here, then with anything changing the account
    (`principal_lock`), before it reads either: two resets of a voided account each withdrew
    the open codes without seeing the other's new one, and a reset read an account voided that
    a join with the earlier code was giving its role back."""
    account, voided_here = _account_to_reset(call, workspace_id, principal_id, email, role)
    principal_id = account.id
    withdrawn = 0
    if voided_here:  # reset here before, never joined
        revocation = Revocation([])
        # The earlier code may be why it is reset again (lost, sent to the wrong place): it
        # must not join once a new one is made.
        withdrawn = withdraw_all_for(call, workspace_id=workspace_id, email=account.name)
    else:
        revocation = remove_member(call, workspace_id=workspace_id, principal_id=principal_id)
    account.wrapped_private_keys = None
    account.kdf_salt = None
    account.kdf_params = None
    account.auth_hash = None
    account.disabled_at = call.clock()
    ended = end_sessions(call, principal_id)
    invite_id, code = create_invite(
        call,
        workspace_id=workspace_id,
        email=account.name,
        role=role,
        project=project,
        environment=environment,
        accept_hash=accept_hash,
        resets=True,
    )
    append_event(
        call,
        workspace_id=workspace_id,
        action="account.reset",
        target=account.name,
        details={
            "principal_id": principal_id,
            "invite_id": invite_id,
            "sessions_ended": ended,
            **({"invites_withdrawn": withdrawn} if withdrawn else {}),
        },
    )
    return Reset(revocation, invite_id, code, ended)


def check_reset(
    call: Call,
    *,
    workspace_id: str,
    principal_id: str | None,
    role: str,
    email: str | None = None,
) -> None:
    """Refuse, as `reset_account` would, a reset it would refuse, and change nothing: `member
    reset` asks first, before it asks whether to go ahead (an account another workspace
    shares was refused only once the admin said yes). The reset itself checks again."""
    _account_to_reset(call, workspace_id, principal_id, email, role)


def _account_to_reset(
    call: Call, workspace_id: str, principal_id: str | None, email: str | None, role: str
) -> tuple[Principal, bool]:
    """The account to reset, locked, once every refusal of it is passed; and whether it was
    reset here before and never joined again (`_still_voided_here`: nothing to remove)."""
    lock_roles(call, workspace_id)  # before the check: another admin may be removing us
    require_role(call, Target(workspace_id), Role.ADMIN)
    found = (
        principal_id
        if principal_id is not None
        else call.session.scalar(
            select(Principal.id).where(Principal.name == (email or "").lower())
        )
    )
    account = lock_principal(call.session, found) if found is not None else None
    if account is None:
        raise NotFoundError(_NOT_HERE, hint="see: envkeep member list")
    if account.kind != "user":  # another tenant's token is unknown here, as anyone's is
        if not holds_role_in(call, account, workspace_id):
            raise NotFoundError(_NOT_HERE, hint="see: envkeep member list")
        raise UsageError("only a person's account can be reset", hint=_NOT_A_PERSON)
    if account.id == call.actor.principal_id:  # remove_member's refusal named member remove
        again = shlex.join(["envkeep", "member", "reset", account.name, "--role", role])
        raise refuse_own_change(call, Target(workspace_id), "you cannot reset yourself", again)
    if _still_voided_here(call, workspace_id, account):
        return account, True
    _refuse_elsewhere(call, workspace_id, account)
    return account, False


_NOT_HERE = "that principal is not a member of this workspace"
_NOT_A_PERSON = "a token gets a new secret with: envkeep token rotate NAME"


def _refuse_elsewhere(call: Call, workspace_id: str, account: Principal) -> None:
    """Refuse an account holding a role in another workspace (see the module's docstring),
    and one holding none here (an admin resets only its own members)."""
    require_account_within(
        call,
        account,
        workspace_id=workspace_id,
        within={workspace_id},  # the reset removes them here only
        doing="reset",
        hint="an admin of each of their other workspaces removes them there first (envkeep"
        f" member remove {account.name}); then run this again",
    )


def _still_voided_here(call: Call, workspace_id: str, account: Principal) -> bool:
    """Whether the account was reset here and never joined again (its code expired, lost or
    withdrawn): voided, holding no role anywhere, a reset invite of this workspace its last.
    Resetting it again withdraws any code still open and makes a new one; there is nothing
    left to remove."""
    if account.auth_hash is not None or account.disabled_at is None:
        return False
    if call.session.scalar(
        select(RoleBinding.id).where(RoleBinding.principal_id == account.id).limit(1)
    ):
        return False
    made = call.session.scalar(
        select(AuditEvent.workspace_id)
        .where(AuditEvent.action == "account.reset", AuditEvent.target == account.name)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    return made == workspace_id
