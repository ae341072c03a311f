"""Accounts: accept an invite, prelogin, login, logout, whoami."""

from __future__ import annotations

from fastapi import APIRouter, Request

from envkeep.api import schemas
from envkeep.api.denials import note_failed_login
from envkeep.api.deps import AuthedCall, Db, Token, limit_login, origin
from envkeep.app import accounts, sessions, workspaces
from envkeep.app.context import new_uuid, utc_now
from envkeep.app.principals import get_principal

router = APIRouter(prefix="/v1", tags=["accounts"])


@router.post("/invites/accept", status_code=201)
def accept_invite(body: schemas.AcceptInvite, db: Db, request: Request) -> schemas.Session:
    """Create an account from an invite code and log it in."""
    account = accounts.NewAccount(
        email=body.email,
        encryption_public=body.encryption_public,
        signing_public=body.signing_public,
        wrapped_private_keys=body.wrapped_private_keys,
        kdf_salt=body.kdf_salt,
        kdf_params=body.kdf.model_dump(),
        auth_key=body.auth_key,
        key_proof=body.key_proof,
    )
    result = accounts.accept_invite(
        db, code=body.code, account=account, clock=utc_now, new_id=new_uuid, origin=origin(request)
    )
    return schemas.Session.model_validate(result)


@router.post("/invites/join", status_code=201)
def join_workspace(body: schemas.JoinInvite, call: AuthedCall, token: Token) -> schemas.Workspace:
    """Accept an invite with the account you are logged in as: its role, in its workspace."""
    workspace_id, name = workspaces.join_workspace(
        call, code=body.code, key_proof=body.key_proof, token=token
    )
    return schemas.Workspace(id=workspace_id, name=name)


@router.post("/auth/prelogin")
def prelogin(body: schemas.PreloginRequest, db: Db) -> schemas.Prelogin:
    """The KDF salt and parameters for an email (the same shape for unknown ones)."""
    salt, params = accounts.prelogin(db, email=body.email)
    return schemas.Prelogin(kdf_salt=salt, kdf=schemas.KdfParams(**params))


@router.post("/auth/login")
def login(body: schemas.LoginRequest, db: Db, request: Request) -> schemas.Session:
    """A session for the right login key (throttled per account and per IP)."""
    limit_login(request, body.email)
    result = accounts.login(
        db,
        email=body.email,
        auth_key=body.auth_key,
        clock=utc_now,
        new_id=new_uuid,
        origin=origin(request),
        refused=lambda principal_id: note_failed_login(request.scope, principal_id),
    )
    return schemas.Session.model_validate(result)


@router.post("/auth/logout", status_code=204)
def logout(call: AuthedCall, token: Token) -> None:
    """End the current session."""
    sessions.logout(call, token=token)


@router.get("/whoami")
def whoami(call: AuthedCall) -> schemas.Whoami:
    """Who the token belongs to, and their workspaces."""
    me = get_principal(call, call.actor.principal_id)
    return schemas.Whoami(
        principal=schemas.Principal.model_validate(me),
        workspaces=[
            schemas.Workspace(id=w.id, name=w.name, role=w.role, level=w.level)
            for w in workspaces.held_workspaces(call)
        ],
    )


@router.get("/principals/{principal_id}")
def principal(principal_id: str, call: AuthedCall) -> schemas.Principal:
    """A principal's public keys."""
    return schemas.Principal.model_validate(get_principal(call, principal_id))


@router.post("/account/passphrase")
def change_passphrase(
    body: schemas.PassphraseChange, call: AuthedCall, token: Token, request: Request
) -> schemas.SessionsEnded:
    """New passphrase: the keys re-wrapped by the client; every other session ends. Attempts
    are throttled with the account's logins."""
    ended = sessions.change_passphrase(
        call,
        token=token,
        old_auth_key=body.old_auth_key,
        new_auth_key=body.new_auth_key,
        kdf_salt=body.kdf_salt,
        kdf_params=body.kdf.model_dump(),
        wrapped_private_keys=body.wrapped_private_keys,
        throttle=lambda account: limit_login(request, account),
    )
    return schemas.SessionsEnded(ended=ended)


@router.post("/account/passphrase/check", status_code=204)
def check_passphrase(body: schemas.PassphraseCheck, call: AuthedCall, request: Request) -> None:
    """204 if the login key is the account's current one, else 401: the client asks for a new
    passphrase only once the current one is right. Throttled with the account's logins."""
    sessions.prove_passphrase(
        call, auth_key=body.auth_key, throttle=lambda account: limit_login(request, account)
    )


@router.get("/sessions")
def own_sessions(call: AuthedCall, token: Token) -> list[schemas.SessionInfo]:
    """Your own sessions."""
    return [
        schemas.SessionInfo.model_validate(s) for s in sessions.list_sessions(call, token=token)
    ]


@router.delete("/sessions/{session_id}", status_code=204)
def end_session(session_id: str, call: AuthedCall) -> None:
    """End one of your sessions."""
    sessions.revoke_session(call, session_id=session_id)


@router.post("/workspaces", status_code=201)
def create_workspace(body: schemas.NewWorkspace, call: AuthedCall) -> schemas.Workspace:
    """A new workspace (tenant) with you as its admin."""
    workspace_id, name = workspaces.create_workspace(call, name=body.name)
    return schemas.Workspace(id=workspace_id, name=name)
