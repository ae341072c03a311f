"""Service-account tokens: create (with key shares), list, revoke, rotate; a token's own keys."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request

from envkeep.api import schemas
from envkeep.api.convert import affected
from envkeep.api.deps import AuthedCall, Token, state
from envkeep.app import role_scopes, share_store, token_rotation, tokens
from envkeep.app.tokens import AccountKeys
from envkeep.core.errors import UsageError

router = APIRouter(prefix="/v1", tags=["tokens"])


def _expiry(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise UsageError("expires_at must be an ISO 8601 time") from None


def _keys(body: schemas.TokenKeys) -> AccountKeys:
    return AccountKeys(
        principal_id=body.principal_id,
        encryption_public=body.encryption_public,
        signing_public=body.signing_public,
        wrapped_private_keys=body.wrapped_private_keys,
        token_hash=body.token_hash,
        expires_at=_expiry(body.expires_at),
        shares=tuple(share_store.NewShare(**s.model_dump()) for s in body.shares),
    )


@router.post("/workspaces/{workspace_id}/tokens", status_code=201)
def create(
    workspace_id: str, body: schemas.NewToken, call: AuthedCall, request: Request
) -> schemas.TokenCreated:
    """A service account with one role, its shares and its token (hash only); the answer says
    when the token expires, which the server's maximum lifetime may have chosen."""
    scope = role_scopes.Scope(body.project, body.environment)
    new = tokens.NewServiceAccount(body.name, body.role, scope, _keys(body), body.never_expires)
    lifetime = state(request).token_lifetime
    made = tokens.create_service_account(
        call, workspace_id=workspace_id, new=new, lifetime=lifetime
    )
    return schemas.TokenCreated(expires_at=made.shown, at_maximum=made.at_maximum)


@router.get("/workspaces/{workspace_id}/tokens")
def list_tokens(workspace_id: str, call: AuthedCall, request: Request) -> list[schemas.TokenInfo]:
    """The workspace's service accounts; ``over_maximum`` flags a live one made to outlive
    the server's maximum lifetime (before it was set)."""
    lifetime = state(request).token_lifetime
    found = tokens.list_service_accounts(call, workspace_id=workspace_id, lifetime=lifetime)
    return [schemas.TokenInfo.model_validate(t) for t in found]


@router.post("/workspaces/{workspace_id}/tokens/{label}/revoke")
def revoke(workspace_id: str, label: str, call: AuthedCall) -> schemas.TokenRevoked:
    """End a token and the tokens it made; the answer names those and lists the environments
    whose keys to rotate now."""
    principal_id, found = tokens.revoke_service_account(
        call, workspace_id=workspace_id, label=label
    )
    return schemas.TokenRevoked(
        principal_id=principal_id,
        environment_ids=[e.id for e in found.environments],
        environments=affected(found.environments),
        tokens_revoked=list(found.tokens),
    )


@router.post("/workspaces/{workspace_id}/tokens/{label}/rotate")
def rotate(
    workspace_id: str, label: str, body: schemas.TokenRotation, call: AuthedCall, request: Request
) -> schemas.TokenRotated:
    """Replace a token (same name, role and scope, new keys); the old one ends at once. The
    answer lists the environments whose keys to rotate now, and when the new token expires
    (the old one's lifetime, capped to the server's maximum from now, unless asked)."""
    done = token_rotation.rotate_service_account(
        call,
        workspace_id=workspace_id,
        label=label,
        new=_keys(body),
        never_expires=body.never_expires,
        lifetime=state(request).token_lifetime,
    )
    return schemas.TokenRotated(
        principal_id=done.principal_id,
        replaced_id=done.replaced_id,
        environment_ids=[e.id for e in done.environments],
        environments=affected(done.environments),
        expires_at=done.expires_at,
        at_maximum=done.at_maximum,
    )


@router.get("/token/self")
def token_self(call: AuthedCall, token: Token) -> schemas.TokenSelf:
    """A service account's wrapped keys and workspace, the scopes its roles lie in, and when
    this token expires."""
    found = tokens.token_self(call, token=token)
    scopes = [schemas.TokenScope(project=p, environment=e) for p, e in found.scopes]
    return schemas.TokenSelf(
        principal_id=found.principal_id,
        workspace_id=found.workspace_id,
        wrapped_private_keys=found.wrapped_private_keys,
        encryption_public=found.encryption_public,
        signing_public=found.signing_public,
        scopes=scopes,
        expires_at=found.expires_at,
    )
