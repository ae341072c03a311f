"""Members of a workspace: look up, list, grant (with key shares), revoke; key rotation;
invites: make, list the pending ones, withdraw."""

from __future__ import annotations

from fastapi import APIRouter

from envkeep.api import schemas
from envkeep.api.convert import affected, reader, secret_write
from envkeep.api.deps import AuthedCall
from envkeep.app import (
    grantees,
    invites,
    key_rotation,
    member_list,
    members,
    role_scopes,
    share_store,
)
from envkeep.app.views import Revocation

router = APIRouter(prefix="/v1/workspaces/{workspace_id}", tags=["members"])


def _shares(items: list[schemas.NewShare]) -> list[share_store.NewShare]:
    return [share_store.NewShare(**s.model_dump()) for s in items]


@router.get("/principals/by-name")
def principal_by_name(workspace_id: str, name: str, call: AuthedCall) -> schemas.Principal:
    """An account's public keys, for sealing shares to it (admins, at any scope of the
    workspace: a project's admin grants roles in its project)."""
    found = grantees.principal_by_name(call, workspace_id=workspace_id, name=name)
    return schemas.Principal.model_validate(found)


@router.get("/members")
def list_members(workspace_id: str, call: AuthedCall) -> list[schemas.Member]:
    """Every role binding of the workspace."""
    return [
        schemas.Member.model_validate(m)
        for m in member_list.list_members(call, workspace_id=workspace_id)
    ]


@router.get("/scope-environments")
def scope_environments(
    workspace_id: str, call: AuthedCall, project: str | None = None, environment: str | None = None
) -> list[schemas.ScopeEnvironment]:
    """The environments a scope covers (to seal one share each)."""
    found = role_scopes.environments_in_scope(
        call, workspace_id=workspace_id, scope=role_scopes.Scope(project, environment)
    )
    return [
        schemas.ScopeEnvironment(project=p, environment=e, key_version=k, environment_id=i)
        for p, e, k, i in found
    ]


@router.post("/members/grant")
def grant(workspace_id: str, body: schemas.Grant, call: AuthedCall) -> schemas.Granted:
    """Bind a role; the body carries the grantee's shares of every environment it opens. A
    grant that lowers a role ends the tokens above it: the answer names them and the
    environments whose keys to rotate now, and counts the shares stored."""
    found = members.grant_role(
        call,
        workspace_id=workspace_id,
        principal_id=body.principal_id,
        role=body.role,
        scope=role_scopes.Scope(body.project, body.environment),
        shares=_shares(body.shares),
    )
    return schemas.Granted(
        environment_ids=[e.id for e in found.environments],
        environments=affected(found.environments),
        tokens_revoked=list(found.tokens),
        shares_stored=found.shares_stored,
    )


@router.post("/members/revoke")
def revoke(workspace_id: str, body: schemas.Revoke, call: AuthedCall) -> schemas.Revoked:
    """Remove a binding; the answer lists the environments whose keys to rotate now."""
    found = members.revoke_role(
        call,
        workspace_id=workspace_id,
        principal_id=body.principal_id,
        scope=role_scopes.Scope(body.project, body.environment),
    )
    return _revoked(found)


def _revoked(found: Revocation) -> schemas.Revoked:
    return schemas.Revoked(
        environment_ids=[e.id for e in found.environments],
        environments=affected(found.environments),
        tokens_revoked=list(found.tokens),
    )


@router.get("/projects/{project}/environments/{environment}/readers")
def readers(
    workspace_id: str, project: str, environment: str, call: AuthedCall
) -> list[schemas.Reader]:
    """Who may read an environment now (a rotated key is sealed to each), with the role that
    opens it to them and whether they hold its current key (whom to ask for it)."""
    found = key_rotation.readers_of(
        call, workspace_id=workspace_id, project=project, environment=environment
    )
    return [reader(r) for r in found]


@router.post("/projects/{project}/environments/{environment}/rotate")
def rotate(
    workspace_id: str, project: str, environment: str, body: schemas.Rotation, call: AuthedCall
) -> schemas.Revision:
    """Switch to a new data key: shares for every reader (but those the client left out),
    current values re-encrypted."""
    version = key_rotation.rotate_key(
        call,
        workspace_id=workspace_id,
        project=project,
        environment=environment,
        new_key_version=body.new_key_version,
        shares=_shares(body.shares),
        writes=[secret_write(w) for w in body.writes],
        left_out=frozenset(body.left_out),
    )
    return schemas.Revision(revision=version)


@router.post("/invites", status_code=201, response_model_exclude_none=True)
def invite(workspace_id: str, body: schemas.NewInvite, call: AuthedCall) -> schemas.InviteCode:
    """A one-time, expiring invite for a new member: with ``accept_hash``, its id (the
    inviter's client holds the secret and writes the code); without, its code."""
    from envkeep.app.invites import create_invite

    invite_id, code = create_invite(
        call,
        workspace_id=workspace_id,
        email=body.email,
        role=body.role,
        project=body.project,
        environment=body.environment,
        accept_hash=body.accept_hash,
    )
    if code is not None:  # what a client from before 0.2 reads: the code alone
        return schemas.InviteCode(code=code)
    return schemas.InviteCode(id=invite_id)


@router.get("/invites")
def list_invites(workspace_id: str, call: AuthedCall) -> list[schemas.PendingInvite]:
    """The invites nobody accepted yet, where the caller sees members (expired ones too)."""
    found = invites.list_invites(call, workspace_id=workspace_id)
    return [schemas.PendingInvite.model_validate(i) for i in found]


@router.delete("/invites/{invite_id}", status_code=204)
def withdraw_invite(workspace_id: str, invite_id: str, call: AuthedCall) -> None:
    """Withdraw an invite nobody accepted yet (admins of its scope): its code joins nothing."""
    invites.withdraw_invite(call, workspace_id=workspace_id, invite_id=invite_id)


@router.get("/principals/{principal_id}/invite-proofs")
def invite_proofs(
    workspace_id: str, principal_id: str, call: AuthedCall
) -> list[schemas.InviteProof]:
    """The key proofs an invitee made when joining (checked by the inviter's client)."""
    from envkeep.app.invites import invite_proofs as proofs

    found = proofs(call, workspace_id=workspace_id, principal_id=principal_id)
    return [schemas.InviteProof(invite_id=i, key_proof=p) for i, p in found]


@router.post("/members/remove")
def remove(workspace_id: str, body: schemas.Revoke, call: AuthedCall) -> schemas.Revoked:
    """Drop every role of a member; the answer lists the environments whose keys to rotate."""
    found = members.remove_member(call, workspace_id=workspace_id, principal_id=body.principal_id)
    return _revoked(found)


@router.post("/members/reset/check", status_code=204)
def check_reset(workspace_id: str, body: schemas.ResetCheck, call: AuthedCall) -> None:
    """Refuse as the reset would, changing nothing (workspace admins): `member reset` asks
    before it asks its user to go ahead."""
    from envkeep.app.account_reset import check_reset as check

    check(
        call,
        workspace_id=workspace_id,
        principal_id=body.principal_id,
        email=body.email,
        role=body.role,
    )


@router.post("/members/reset")
def reset(workspace_id: str, body: schemas.ResetAccount, call: AuthedCall) -> schemas.AccountReset:
    """Void a member's keys and sessions, remove them here, and make the one-time code that
    gives the same account new keys (workspace admins; an account of this workspace only)."""
    from envkeep.app.account_reset import reset_account

    done = reset_account(
        call,
        workspace_id=workspace_id,
        principal_id=body.principal_id,
        email=body.email,
        role=body.role,
        project=body.project,
        environment=body.environment,
        accept_hash=body.accept_hash,
    )
    return schemas.AccountReset(
        **_revoked(done.revocation).model_dump(),
        invite_id=done.invite_id,
        code=done.code,
        sessions_ended=done.sessions_ended,
    )
