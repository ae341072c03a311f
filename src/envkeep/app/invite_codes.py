"""Invite codes: how one is written and read, checked, claimed, and the role it grants.

A code is ``ek_inv_<invite id>_<secret>``; the server keeps the secret's hash only. An invite
made by a client since 0.2 has a secret the server never sees: the inviter's client makes it
and gives the server the hash of a key derived from it (`crypto.invite_accept_key`), which
the joining client sends in the secret's place; the invitee proves its keys to the inviter
under another key derived from it (`crypto.invite_key_proof`). Accepting
one (`accounts.accept_invite` for a new account, `workspaces.join_workspace` for an existing
one) claims it with one conditional UPDATE, so of two acceptances racing only one gets it.
"""

from __future__ import annotations

import functools
import hmac
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from envkeep.app import credentials
from envkeep.app.authz import load_bindings
from envkeep.app.context import aware, session_fetch
from envkeep.app.policy import Role, Target, effective_role
from envkeep.core.errors import NotAuthenticated, UsageError
from envkeep.core.valuetypes import matches_type
from envkeep.store.models import Invite, Principal, RoleBinding, SessionToken

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

INVITE_PREFIX = "ek_inv_"
UNKNOWN = "unknown invite code"
USED_ALREADY = "this invite was used already"
ASK_AGAIN = "ask for a new invite"


def check_email(email: str) -> None:
    """An invite names a person by email: refuse what cannot be one (the code holder must
    give the same address to join, and `member grant` tells people from tokens by the '@')."""
    if not matches_type("email", email.strip()):
        raise UsageError(f"'{email}' is not an email address", hint="invite a person: NAME@DOMAIN")


def invite_code(invite_id: str, secret: str) -> str:
    """The code an invite's holder is given."""
    return f"{INVITE_PREFIX}{invite_id}_{secret}"


def parse_code(code: str) -> tuple[str, str]:
    """(invite id, secret) of a code; UsageError for text that is not a whole code."""
    body = code.strip().removeprefix(INVITE_PREFIX)
    invite_id, sep, secret = body.partition("_")
    if not code.strip().startswith(INVITE_PREFIX) or not sep or len(invite_id) != 36:
        raise UsageError(
            "that is not a whole envkeep invite code",
            hint="copy all of it: ek_inv_, a 36-character id, '_' and the secret",
        )
    return invite_id, secret


def open_invite(session: Session, code: str, now: datetime) -> Invite:
    """The invite a code names, still open at ``now``; NotAuthenticated otherwise (one
    refusal for an unknown code and a wrong secret). An access error either way, exit 4, as a
    wrong passphrase is: the code is the credential that lets its holder in."""
    invite_id, secret = parse_code(code)
    invite = session.get(Invite, invite_id)
    expected = credentials.token_hash(secret)
    valid = invite is not None and hmac.compare_digest(invite.secret_hash, expected)
    if not valid or invite is None:
        raise NotAuthenticated(UNKNOWN, hint=ASK_AGAIN)
    if invite.accepted_at is not None:
        raise NotAuthenticated(USED_ALREADY, hint=ASK_AGAIN)
    if aware(invite.expires_at) < now:
        raise NotAuthenticated("this invite has expired", hint=ASK_AGAIN)
    refuse_unbacked(session, invite, now)
    return invite


def refuse_unbacked(session: Session, invite: Invite, now: datetime) -> None:
    """Refuse an invite whose maker no longer holds admin at its scope (removed, revoked,
    lowered, or a token that ended since: revoked, rotated out or expired): an invite gives
    what its maker could give when it is accepted, as a token holds only what its maker holds
    (`token_cascade`). The first admin's invite has no maker."""
    if invite.workspace_id is None or invite.created_by is None:
        return
    if not _maker_live(session, invite.created_by, now):
        raise NotAuthenticated(
            "the token that made this invite has ended (revoked, rotated or expired)",
            hint="ask an admin for a new invite",
        )
    scope = Target(invite.workspace_id, invite.project_id, invite.environment_id)
    try:
        bindings = load_bindings(
            functools.partial(session_fetch, session), invite.created_by, invite.workspace_id
        )
    except NotAuthenticated:  # its maker's account was disabled
        bindings = []
    held = effective_role(bindings, scope)
    if held is None or held < Role.ADMIN:
        raise NotAuthenticated(
            "the member who made this invite no longer holds the admin role it was made with",
            hint="ask an admin for a new invite",
        )


def _maker_live(session: Session, maker_id: str, now: datetime) -> bool:
    """Whether an invite's maker can still act: any user (its roles decide), or a token with
    a credential neither revoked nor expired."""
    maker = session.get(Principal, maker_id)
    if maker is None or maker.kind != "service":
        return True
    ends = session.scalars(
        select(SessionToken.expires_at).where(
            SessionToken.principal_id == maker_id, SessionToken.revoked_at.is_(None)
        )
    ).all()
    return any(end is None or aware(end) > now for end in ends)


def for_another_email(email: str) -> str:
    """The refusal of a code whose invite names another address than ``email`` (the one given
    for a new account, or the logged-in account's)."""
    return f"this invite is for another email address than {email}"


def claim_invite(
    session: Session, invite: Invite, *, principal_id: str, now: datetime, key_proof: str | None
) -> None:
    """Mark the invite used by ``principal_id`` (with the proof of the keys it was accepted
    with, for the inviter to check): one conditional UPDATE decides, whatever this session
    loaded. NotAuthenticated, and nothing done, when another transaction got there first, in
    the words `open_invite` would have used had it run after that one: used already, or, for
    an invite withdrawn meanwhile (deleted: `member remove`, a new `member reset`), an
    unknown code."""
    invite_id = invite.id  # read before the expiry below: a withdrawn row is gone
    used = session.execute(
        update(Invite)
        .where(Invite.id == invite_id, Invite.accepted_at.is_(None))
        .values(accepted_at=now, accepted_by=principal_id, key_proof=key_proof)
        .execution_options(synchronize_session=False)
    )
    session.expire(invite)  # what it loaded is stale now
    if used.rowcount == 1:  # type: ignore[attr-defined]
        return
    # A new statement, so a new snapshot at READ COMMITTED: the other transaction committed.
    kept = session.scalar(select(Invite.id).where(Invite.id == invite_id))
    raise NotAuthenticated(UNKNOWN if kept is None else USED_ALREADY, hint=ASK_AGAIN)


def bind_invite_role(
    session: Session,
    invite: Invite,
    *,
    principal_id: str,
    workspace_id: str,
    now: datetime,
    binding_id: str,
) -> None:
    """The invite's role for ``principal_id`` at the invite's scope."""
    session.add(
        RoleBinding(
            id=binding_id,
            principal_id=principal_id,
            workspace_id=workspace_id,
            project_id=invite.project_id,
            environment_id=invite.environment_id,
            role=invite.role,
            created_at=now,
            created_by=invite.created_by,
        )
    )
    session.flush()
