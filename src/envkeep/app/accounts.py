"""Accounts on a team server: the bootstrap invite, joining, prelogin, login, sessions.

The server never sees a passphrase: the client derives ``auth_key`` (sent) and ``wrap_key``
(kept) from it with Argon2id, and uploads its private keys wrapped with ``wrap_key``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update

from envkeep.app import credentials
from envkeep.app._lookup import binding_at
from envkeep.app.audit import append_event
from envkeep.app.context import aware
from envkeep.app.policy import Role, Target
from envkeep.core.errors import (
    AlreadyExistsError,
    NotAuthenticated,
    NotFoundError,
    PermissionDenied,
    UsageError,
)
from envkeep.core.valuetypes import matches_type
from envkeep.store.models import Invite, Principal, RoleBinding, SessionToken, Workspace

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy.orm import Session

    from envkeep.app.context import Call

INVITE_PREFIX = "ek_inv_"
_USED_ALREADY = "this invite was used already"
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


def check_email(email: str) -> None:
    """An invite names a person by email: refuse what cannot be one (the code holder must
    give the same address to join, and `member grant` tells people from tokens by the '@')."""
    if not matches_type("email", email.strip()):
        raise UsageError(f"'{email}' is not an email address", hint="invite a person: NAME@DOMAIN")


def _code(invite_id: str, secret: str) -> str:
    return f"{INVITE_PREFIX}{invite_id}_{secret}"


def _parse_code(code: str) -> tuple[str, str]:
    body = code.strip().removeprefix(INVITE_PREFIX)
    invite_id, sep, secret = body.partition("_")
    if not code.strip().startswith(INVITE_PREFIX) or not sep or len(invite_id) != 36:
        raise UsageError(
            "that is not a whole envkeep invite code",
            hint="copy all of it: ek_inv_, a 36-character id, '_' and the secret",
        )
    return invite_id, secret


def create_bootstrap_invite(
    session: Session,
    *,
    email: str,
    clock: Callable[[], datetime],
    new_id: Callable[[], str],
    ttl: timedelta = timedelta(days=1),
) -> str:
    """The first admin's one-time invite code; refused once any user exists."""
    check_email(email)
    users = session.scalar(select(func.count()).select_from(Principal))
    if users:
        raise AlreadyExistsError(
            "this server already has accounts",
            hint="ask an admin for an invite: envkeep member invite EMAIL",
        )
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
    return _code(invite.id, secret)


def _open_invite(session: Session, code: str, now: datetime) -> Invite:
    invite_id, secret = _parse_code(code)
    invite = session.get(Invite, invite_id)
    valid = invite is not None and invite.secret_hash == credentials.token_hash(secret)
    if not valid or invite is None:
        raise NotAuthenticated("unknown invite code", hint="ask for a new invite")
    if invite.accepted_at is not None:
        raise NotAuthenticated(_USED_ALREADY, hint="ask for a new invite")
    if aware(invite.expires_at) < now:
        raise NotAuthenticated("this invite has expired", hint="ask for a new invite")
    return invite


@dataclass(frozen=True)
class Origin:
    """Where a request without a session yet came from, as its audit event records it."""

    request_id: str | None = None
    ip: str | None = None


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
    invite = _open_invite(session, code, now)
    email = account.email.lower()
    if email != invite.email:
        raise NotAuthenticated("this invite is for another email address")
    if session.scalar(select(Principal).where(Principal.name == email)) is not None:
        raise AlreadyExistsError(
            f"an account for {email} exists",
            hint="log in with: envkeep login URL, then run this envkeep join again",
        )
    principal_id = new_id()
    # The invite first: of two acceptances racing, the second stops here, before its account.
    if not _claim_invite(
        session, invite, principal_id=principal_id, now=now, key_proof=account.key_proof
    ):
        raise NotAuthenticated(_USED_ALREADY, hint="ask for a new invite")
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
    _bind_invite_role(
        session,
        invite,
        principal_id=principal_id,
        workspace_id=workspace_id,
        now=now,
        binding_id=new_id(),
    )
    return _start_session(
        session, principal, workspace_id, clock, new_id, action="invite.accept", origin=origin
    )


def _claim_invite(
    session: Session, invite: Invite, *, principal_id: str, now: datetime, key_proof: str | None
) -> bool:
    """Mark the invite used by ``principal_id`` (with the proof of the keys it was accepted
    with, for the inviter to check); False, and nothing done, when another transaction used it
    first: one conditional UPDATE decides, whatever this session loaded."""
    used = session.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.accepted_at.is_(None))
        .values(accepted_at=now, accepted_by=principal_id, key_proof=key_proof)
        .execution_options(synchronize_session=False)
    )
    session.expire(invite)  # what it loaded is stale now
    return bool(used.rowcount == 1)  # type: ignore[attr-defined]


def _bind_invite_role(
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


def prelogin(session: Session, *, email: str, server_key: bytes) -> tuple[bytes, dict[str, int]]:
    """The KDF salt and parameters for an email; unknown emails get a stable fake answer."""
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
) -> LoginResult:
    """A new session for the right login key; one answer for every failure."""
    principal = session.scalar(select(Principal).where(Principal.name == email.lower()))
    ok = credentials.login_key_matches(None if principal is None else principal.auth_hash, auth_key)
    if not ok or principal is None or principal.disabled_at is not None:
        raise NotAuthenticated("wrong email or passphrase", hint="check both and try again")
    workspace_id = session.scalar(
        select(RoleBinding.workspace_id).where(RoleBinding.principal_id == principal.id).limit(1)
    )
    return _start_session(
        session, principal, workspace_id, clock, new_id, action="session.login", origin=origin
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
        )
    )
    session.flush()
    if workspace_id is not None:
        from envkeep.app.context import Actor, Call

        actor = Actor(principal.id, request_id=origin.request_id, ip=origin.ip)
        call = Call(session, actor, clock=clock, new_id=new_id)
        append_event(call, workspace_id=workspace_id, action=action, target=principal.name)
    return LoginResult(
        token=token,
        principal_id=principal.id,
        email=principal.name,
        workspace_id=workspace_id,
        wrapped_private_keys=principal.wrapped_private_keys or b"",
        encryption_public=principal.encryption_public,
        signing_public=principal.signing_public,
    )


def workspaces_of(call: Call) -> list[tuple[str, str]]:
    """(id, name) of every workspace the actor holds a role in."""
    return [(w.id, w.name) for w in held_workspaces(call)]


@dataclass(frozen=True)
class HeldWorkspace:
    """A workspace the actor holds a role in: its highest role, and where that role is held
    (``workspace``, ``project`` or ``environment``: the widest such binding)."""

    id: str
    name: str
    role: str
    level: str


def held_workspaces(call: Call) -> list[HeldWorkspace]:
    """Every workspace the actor holds a role in, by name (two may share one)."""
    rows = call.session.execute(
        select(
            Workspace.id,
            Workspace.name,
            RoleBinding.role,
            RoleBinding.project_id,
            RoleBinding.environment_id,
        )
        .join(RoleBinding, RoleBinding.workspace_id == Workspace.id)
        .where(RoleBinding.principal_id == call.actor.principal_id)
    )
    best: dict[str, tuple[tuple[int, int], HeldWorkspace]] = {}
    for ws_id, name, role, project_id, environment_id in rows:
        level = "environment" if environment_id else "project" if project_id else "workspace"
        rank = (Role.parse(role), ("environment", "project", "workspace").index(level))
        if ws_id not in best or rank > best[ws_id][0]:
            best[ws_id] = (rank, HeldWorkspace(ws_id, name, role, level))
    return sorted((held for _rank, held in best.values()), key=lambda w: (w.name, w.id))


def create_invite(
    call: Call,
    *,
    workspace_id: str,
    email: str,
    role: str,
    project: str | None = None,
    environment: str | None = None,
    ttl: timedelta = timedelta(days=3),
) -> str:
    """A one-time, expiring invite to the workspace with a role at a scope (admins there;
    never a role above the inviter's, nor to a scope where the account holds a role:
    `invites.refuse_role_held`)."""
    from envkeep.app.authz import require_role
    from envkeep.app.invites import refuse_role_held
    from envkeep.app.members import Scope, role_named, scope_target

    wanted = role_named(role)
    target, _envs = scope_target(call, workspace_id, Scope(project, environment))
    held = require_role(call, target, Role.ADMIN)
    check_email(email)
    if wanted > held:
        raise UsageError(f"you cannot invite as {wanted}: you hold {held} here")
    refuse_role_held(call, target=target, email=email, role=str(wanted))
    secret = credentials.new_secret()
    invite = Invite(
        id=call.new_id(),
        workspace_id=workspace_id,
        email=email.lower(),
        role=str(wanted),
        project_id=target.project_id,
        environment_id=target.environment_id,
        secret_hash=credentials.token_hash(secret),
        created_by=call.actor.principal_id,
        created_at=call.clock(),
        expires_at=call.clock() + ttl,
    )
    call.session.add(invite)
    call.session.flush()
    append_event(
        call,
        workspace_id=workspace_id,
        action="member.invite",
        target=email.lower(),
        details={"role": str(wanted), "project": project, "environment": environment},
    )
    return _code(invite.id, secret)


_LOCK_PRINCIPAL = "SELECT id FROM principals WHERE id = :id FOR UPDATE"


def create_workspace(call: Call, *, name: str) -> tuple[str, str]:
    """A new tenant owned (admin) by the caller."""
    if not name or len(name) > 200:
        raise UsageError("a workspace name needs 1 to 200 characters")
    # Unique among the caller's own workspaces only: a name other tenants use is no refusal,
    # so that a refusal tells nothing about them. No index can say "unique per member", so
    # the caller's row is locked first on PostgreSQL: two creations at once check in turn
    # (SQLite serialises writers already).
    if call.session.get_bind().dialect.name != "sqlite":
        call.fetch(_LOCK_PRINCIPAL, {"id": call.actor.principal_id})
    if any(held == name for _id, held in workspaces_of(call)):
        raise AlreadyExistsError(
            f"you already have a workspace called '{name}'", hint="pick another name"
        )
    workspace = Workspace(id=call.new_id(), name=name, created_at=call.clock())
    call.session.add(workspace)
    call.session.flush()
    call.session.add(
        RoleBinding(
            id=call.new_id(),
            principal_id=call.actor.principal_id,
            workspace_id=workspace.id,
            role=str(Role.ADMIN),
            created_at=call.clock(),
            created_by=call.actor.principal_id,
        )
    )
    call.session.flush()
    append_event(call, workspace_id=workspace.id, action="workspace.create", target=name)
    return workspace.id, name


def join_workspace(call: Call, *, code: str, key_proof: str | None) -> tuple[str, str]:
    """Accept an invite with the caller's existing account: the invite's role in its workspace
    (how an account joins a second workspace); (workspace id, workspace name)."""
    principal = call.session.get(Principal, call.actor.principal_id)
    if principal is None or principal.kind != "user":
        raise PermissionDenied(
            "only a user's account accepts invites", hint="log in as the user it was made for"
        )
    try:
        invite = _open_invite(call.session, code, call.clock())
    except NotAuthenticated as refused:  # the session is fine: the code is what is wrong
        raise NotFoundError(refused.message, hint=refused.hint) from None
    if invite.email != principal.name:
        raise NotFoundError(
            f"this invite is for another email address than {principal.name}'s",
            hint="log in as the account it was made for (envkeep login URL) and join again;"
            " for a new account: envkeep join URL CODE --email THEIR_EMAIL",
        )
    if invite.workspace_id is None:  # a bootstrap invite founds a workspace with a new account
        raise NotFoundError("this invite is for a new account", hint="ask for a new invite")
    workspace = call.session.get(Workspace, invite.workspace_id)
    if workspace is None:
        raise NotFoundError("this invite's workspace is gone", hint="ask for a new invite")
    scope = Target(workspace.id, invite.project_id, invite.environment_id)
    held = binding_at(call.session, principal.id, scope)
    if held is not None:
        raise AlreadyExistsError(
            f"you hold a role at that scope of '{workspace.name}' already ({held.role})",
            hint="an admin changes it with: envkeep member grant",
        )
    now = call.clock()
    if not _claim_invite(
        call.session, invite, principal_id=principal.id, now=now, key_proof=key_proof
    ):
        raise NotFoundError(_USED_ALREADY, hint="ask for a new invite")
    _bind_invite_role(
        call.session,
        invite,
        principal_id=principal.id,
        workspace_id=workspace.id,
        now=now,
        binding_id=call.new_id(),
    )
    append_event(call, workspace_id=workspace.id, action="invite.accept", target=principal.name)
    return workspace.id, workspace.name


def invite_proofs(call: Call, *, workspace_id: str, principal_id: str) -> list[tuple[str, str]]:
    """(invite id, key proof) of every accepted invite that created ``principal_id`` in the
    workspace, for the inviter's client to check the keys the server hands out."""
    from envkeep.app.authz import require_role_anywhere

    require_role_anywhere(call, workspace_id, Role.ADMIN)  # its admins at any scope grant
    rows = call.session.scalars(
        select(Invite).where(
            Invite.workspace_id == workspace_id, Invite.accepted_by == principal_id
        )
    )
    return [(i.id, i.key_proof) for i in rows if i.key_proof]
