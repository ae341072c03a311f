"""Accounts on a team server: the bootstrap invite, a new account from an invite, prelogin,
login and sessions (invite codes: `invite_codes`; workspaces, and joining one with an
existing account: `workspaces`; invites to a workspace: `invites`).

The server never sees a passphrase: the client derives ``auth_key`` (sent) and ``wrap_key``
(kept) from it with Argon2id, and uploads its private keys wrapped with ``wrap_key``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select

from envkeep.app import credentials, session_marks
from envkeep.app.audit import append_event
from envkeep.app.audit_append import append_account_event
from envkeep.app.home_workspace import home_workspace
from envkeep.app.invite_codes import (
    bind_invite_role,
    check_email,
    claim_invite,
    for_another_email,
    invite_code,
    open_invite,
)
from envkeep.app.policy import Role
from envkeep.app.principal_lock import lock_principal
from envkeep.core.errors import AlreadyExistsError, NotAuthenticated, PermissionDenied
from envkeep.store.advisory_lock import queue_on
from envkeep.store.models import (
    Invite,
    Principal,
    RoleBinding,
    ServerSecret,
    SessionToken,
    Workspace,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.orm import Session

SESSION_TTL = timedelta(days=14)
DEFAULT_KDF = {"memory_kib": 65536, "iterations": 3, "lanes": 4}


@dataclass(frozen=True)
class NewAccount:
    """What a client uploads when it accepts an invite (no secret the server could use)."""

    email: str
    encryption_public: bytes
    signing_public: bytes
    wrapped_private_keys: bytes
    kdf_salt: bytes
    kdf_params: dict[str, int]
    auth_key: bytes = field(repr=False)
    key_proof: str | None = None


@dataclass(frozen=True)
class LoginResult:
    """A new session and what the client needs to unwrap its keys."""

    token: str = field(repr=False)
    principal_id: str
    email: str
    workspace_id: str | None
    wrapped_private_keys: bytes
    encryption_public: bytes
    signing_public: bytes


FOUNDING_LOCK = 0x656B6266  # the PostgreSQL advisory lock founding codes queue on ("ekbf")


def _one_founding_at_a_time(session: Session) -> None:
    """Making a bootstrap code, and accepting a founding code, queue on one lock until their
    transaction ends: two of them at once would each miss the other's row (two codes kept,
    or two first admins)."""
    queue_on(session.connection(), FOUNDING_LOCK)


def _refuse_once_founded(session: Session) -> None:
    """A bootstrap code is made, and used, only while the server has no account."""
    if session.scalar(select(func.count()).select_from(Principal)):
        raise AlreadyExistsError(
            "this server already has accounts",
            hint="ask an admin for an invite: envkeep member invite EMAIL",
        )


def _refuse_stale_founding(session: Session, invite: Invite) -> None:
    """A founding code (the bootstrap invite's kind) is void once someone joined after it was
    made: a bootstrap code is for a server with no account, and one left over after the first
    admin joined (a second code an older server made) would found a workspace no admin sees."""
    joined_since = select(Principal.id).where(Principal.created_at >= invite.created_at)
    if session.scalar(joined_since.limit(1)) is not None:
        raise AlreadyExistsError(
            "this server already has accounts: its bootstrap code is void",
            hint="ask an admin for an invite: envkeep member invite EMAIL",
        )


def founding_codes(session: Session) -> list[str]:
    """Whom the bootstrap codes not yet used were made for (by email): a new one replaces
    them, and `server bootstrap` says so."""
    return list(session.scalars(select(Invite.email).where(Invite.workspace_id.is_(None))))


def create_bootstrap_invite(
    session: Session,
    *,
    email: str,
    clock: Callable[[], datetime],
    new_id: Callable[[], str],
    ttl: timedelta = timedelta(days=1),
) -> str:
    """The first admin's one-time invite code; refused once any user exists. It replaces
    any earlier bootstrap code not yet used (one founding code at a time: two would found two
    workspaces, the second one that no admin sees)."""
    check_email(email)
    _one_founding_at_a_time(session)
    _refuse_once_founded(session)
    session.execute(delete(Invite).where(Invite.workspace_id.is_(None)))
    secret = credentials.new_secret()
    invite = Invite(
        id=new_id(),
        workspace_id=None,
        email=email.lower(),
        role=str(Role.ADMIN),
        secret_hash=credentials.token_hash(secret),
        created_at=clock(),
        expires_at=clock() + ttl,
    )
    session.add(invite)
    session.flush()
    return invite_code(invite.id, secret)


@dataclass(frozen=True)
class Origin:
    """Where a request without a session yet came from, as its audit event records it."""

    request_id: str | None = None
    ip: str | None = None
    user_agent: str | None = None  # as the client sent it: a session keeps it cleaned


NO_ORIGIN = Origin()


def accept_invite(
    session: Session,
    *,
    code: str,
    account: NewAccount,
    clock: Callable[[], datetime],
    new_id: Callable[[], str],
    origin: Origin = NO_ORIGIN,
) -> LoginResult:
    """Create the invitee's account with the invite's role, and log it in (``origin``: the
    request's id and peer address, for the audit event)."""
    now = clock()
    invite = open_invite(session, code, now)
    email = account.email.lower()
    if email != invite.email:
        raise NotAuthenticated(
            for_another_email(email),
            hint="join with the address it was sent to: envkeep join URL CODE --email ADDRESS",
        )
    existing = session.scalar(select(Principal).where(Principal.name == email))
    if existing is not None and invite.resets:  # its row before the invite: `principal_lock`
        existing = lock_principal(session, existing.id)
    if existing is not None and invite.resets and _voided(existing):
        return _rekey(session, invite, existing, account, clock=clock, new_id=new_id, origin=origin)
    if existing is not None:
        raise AlreadyExistsError(
            f"an account for {email} exists",
            hint="log in with: envkeep login URL, then run this envkeep join again",
        )
    if invite.workspace_id is None:
        _one_founding_at_a_time(session)
        _refuse_stale_founding(session, invite)
    principal_id = new_id()
    # The invite first: of two acceptances racing, the second stops here, before its account.
    claim_invite(session, invite, principal_id=principal_id, now=now, key_proof=account.key_proof)
    principal = Principal(
        id=principal_id,
        kind="user",
        name=email,
        encryption_public=account.encryption_public,
        signing_public=account.signing_public,
        wrapped_private_keys=account.wrapped_private_keys,
        kdf_salt=account.kdf_salt,
        kdf_params=json.dumps(account.kdf_params, sort_keys=True),
        auth_hash=credentials.hash_login_key(account.auth_key),
        created_at=now,
    )
    session.add(principal)
    workspace_id = invite.workspace_id
    if workspace_id is None:  # the bootstrap invite founds the first workspace
        workspace_id = new_id()
        workspace = Workspace(id=workspace_id, name="default", created_at=now)
        session.add(workspace)
    session.flush()
    return _take_invite_role(
        session, invite, principal, workspace_id, now=now, clock=clock, new_id=new_id,
        origin=origin, action="invite.accept",
    )  # fmt: skip


def _voided(principal: Principal) -> bool:
    """Whether an account's keys were voided by a reset (`account_reset`) and not replaced."""
    voided = principal.auth_hash is None and principal.wrapped_private_keys is None
    return principal.kind == "user" and principal.disabled_at is not None and voided


def _rekey(
    session: Session,
    invite: Invite,
    principal: Principal,
    account: NewAccount,
    *,
    clock: Callable[[], datetime],
    new_id: Callable[[], str],
    origin: Origin,
) -> LoginResult:
    """A reset invite accepted: the same account (id, history) gets the new keys, login key
    and wrapped private keys, is enabled again, and gets the invite's role."""
    now = clock()
    _refuse_held_roles(session, principal)
    claim_invite(session, invite, principal_id=principal.id, now=now, key_proof=account.key_proof)
    principal.encryption_public = account.encryption_public
    principal.signing_public = account.signing_public
    principal.wrapped_private_keys = account.wrapped_private_keys
    principal.kdf_salt = account.kdf_salt
    principal.kdf_params = json.dumps(account.kdf_params, sort_keys=True)
    principal.auth_hash = credentials.hash_login_key(account.auth_key)
    principal.disabled_at = None
    workspace_id = str(invite.workspace_id)  # a reset is made in a workspace
    return _take_invite_role(
        session, invite, principal, workspace_id, now=now, clock=clock, new_id=new_id,
        origin=origin, action="account.rekey",
    )  # fmt: skip


def _take_invite_role(
    session: Session,
    invite: Invite,
    principal: Principal,
    workspace_id: str,
    *,
    now: datetime,
    clock: Callable[[], datetime],
    new_id: Callable[[], str],
    origin: Origin,
    action: str,
) -> LoginResult:
    """The invite's role bound to ``principal`` in ``workspace_id``, and a session started for
    it, its audit event (``action``) in the invite's project: the end of every acceptance."""
    bind_invite_role(
        session, invite, principal_id=principal.id, workspace_id=workspace_id, now=now,
        binding_id=new_id(),
    )  # fmt: skip
    return _start_session(
        session, principal, workspace_id, clock, new_id, action=action, origin=origin,
        project_id=invite.project_id,
    )  # fmt: skip


def _refuse_held_roles(session: Session, principal: Principal) -> None:
    """Refuse new keys for an account that holds a role: a voided one holds none, unless one
    came with a transaction that ran alongside the reset (its own `join` of another workspace),
    and the reset code, whose secret one workspace's admin made, would then take over a member
    of another workspace (`account_reset`)."""
    held = select(RoleBinding.id).where(RoleBinding.principal_id == principal.id).limit(1)
    if session.scalar(held) is not None:
        raise PermissionDenied(
            f"{principal.name} holds a role in a workspace again, so this reset code cannot"
            " give the account new keys",
            hint="ask the admin who reset it to check member list and reset it again",
        )


def prelogin(session: Session, *, email: str) -> tuple[bytes, dict[str, int]]:
    """The KDF salt and parameters for an email; unknown emails get a stable fake answer, an
    HMAC under the deployment's random ``prelogin`` key (read for every email, known or not,
    so that both take the same statements)."""
    server_key = session.scalar(select(ServerSecret.value).where(ServerSecret.name == "prelogin"))
    if server_key is None:  # made by migration 0011: a database without it is not migrated
        raise RuntimeError("the database has no prelogin key: run envkeep server migrate")
    principal = session.scalar(select(Principal).where(Principal.name == email.lower()))
    if principal is None or principal.kdf_salt is None or principal.kdf_params is None:
        return credentials.fake_salt(server_key, email), dict(DEFAULT_KDF)
    return principal.kdf_salt, dict(json.loads(principal.kdf_params))


def login(
    session: Session,
    *,
    email: str,
    auth_key: bytes,
    clock: Callable[[], datetime],
    new_id: Callable[[], str],
    origin: Origin = NO_ORIGIN,
    refused: Callable[[str], None] = lambda _principal_id: None,
) -> LoginResult:
    """A new session for the right login key; one answer for every failure. A failure for a
    user's account that exists calls ``refused`` with its id first (the caller audits it
    once the answer is sent: an unknown email must take the same time)."""
    principal = session.scalar(select(Principal).where(Principal.name == email.lower()))
    ok = credentials.login_key_matches(None if principal is None else principal.auth_hash, auth_key)
    if not ok or principal is None or principal.disabled_at is not None:
        if principal is not None and principal.kind == "user":
            refused(principal.id)
        raise NotAuthenticated("wrong email or passphrase", hint="check both and try again")
    return _start_session(
        session,
        principal,
        home_workspace(session, principal.id),
        clock,
        new_id,
        action="session.login",
        origin=origin,
        account_wide=True,
    )


def _start_session(
    session: Session,
    principal: Principal,
    workspace_id: str | None,
    clock: Callable[[], datetime],
    new_id: Callable[[], str],
    *,
    action: str,
    origin: Origin = NO_ORIGIN,
    project_id: str | None = None,  # the audit event's: an invite's project
    account_wide: bool = False,
) -> LoginResult:
    token = credentials.new_secret()
    now = clock()
    session.add(
        SessionToken(
            id=new_id(),
            principal_id=principal.id,
            token_hash=credentials.token_hash(token),
            kind="session",
            created_at=now,
            expires_at=now + SESSION_TTL,
            created_from=origin.ip,
            user_agent=session_marks.client_of(origin.user_agent),
            last_used_at=now,  # starting it is its first use
        )
    )
    session.flush()
    if workspace_id is not None:
        from envkeep.app.context import Actor, Call

        actor = Actor(principal.id, request_id=origin.request_id, ip=origin.ip)
        call = Call(session, actor, clock=clock, new_id=new_id)
        if account_wide:  # a login: the account's own, in each workspace it is in
            append_account_event(call, action=action)
        else:
            append_event(
                call,
                workspace_id=workspace_id,
                action=action,
                target=principal.name,
                project_id=project_id,
            )
    return _started(principal, token, workspace_id)


def _started(principal: Principal, token: str, workspace_id: str | None) -> LoginResult:
    return LoginResult(
        token=token,
        principal_id=principal.id,
        email=principal.name,
        workspace_id=workspace_id,
        wrapped_private_keys=principal.wrapped_private_keys or b"",
        encryption_public=principal.encryption_public,
        signing_public=principal.signing_public,
    )
