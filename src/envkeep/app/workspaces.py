"""Workspaces (tenants): those a principal holds a role in, creating one, and joining one
with an invite to an existing account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from envkeep.app._lookup import binding_at
from envkeep.app.audit import append_event
from envkeep.app.credentials import token_hash
from envkeep.app.invite_codes import (
    ASK_AGAIN,
    bind_invite_role,
    claim_invite,
    for_another_email,
    open_invite,
)
from envkeep.app.left_accounts import end_sessions_of_roleless, roleless
from envkeep.app.policy import Role, Target
from envkeep.app.principal_lock import lock_principal
from envkeep.core.errors import (
    AlreadyExistsError,
    NotAuthenticated,
    PermissionDenied,
    UsageError,
)
from envkeep.store.models import Principal, RoleBinding, Workspace

if TYPE_CHECKING:
    from envkeep.app.context import Call
    from envkeep.store.models import Invite


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


def create_workspace(call: Call, *, name: str) -> tuple[str, str]:
    """A new tenant owned (admin) by the caller, a user: a token holds only a subset of what
    its maker holds, and a workspace of its own is none of it.

    The caller's row is locked first (`principal_lock`): a removal of its last role takes
    turns with the roleless check, and two creations check the name in turn (no index can
    say "unique per member")."""
    actor = lock_principal(call.session, call.actor.principal_id)
    if actor is None or actor.kind != "user":
        raise PermissionDenied(
            "a token cannot create workspaces",
            hint="a member creates one: envkeep workspace create NAME",
        )
    if roleless(call, actor.id):
        # A session kept from before its user was removed from every workspace (a stolen
        # laptop's) would otherwise give itself a role here, and so outlive the grant or
        # invite that brings its owner back (`left_accounts`).
        raise PermissionDenied(
            "you hold no role in any workspace, so you cannot create one",
            hint="ask an admin to invite you back or grant you a role, then log in again",
        )
    if not name or len(name) > 200:
        raise UsageError("a workspace name needs 1 to 200 characters")
    if not name.isprintable():  # its members' terminals print it: `join`, `whoami`
        raise UsageError(
            f"a workspace name cannot hold control characters ({name!r})",
            hint="pick a name of letters, digits, spaces and punctuation",
        )
    # Unique among the caller's own workspaces only: a name other tenants use is no refusal,
    # so that a refusal tells nothing about them.
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


def join_workspace(call: Call, *, code: str, key_proof: str | None, token: str) -> tuple[str, str]:
    """Accept an invite with the caller's existing account: the invite's role in its workspace
    (how an account joins a second workspace, or a former member comes back: its other
    sessions end, `left_accounts`); (workspace id, workspace name). ``token``: the caller's
    session, which stays."""
    principal = call.session.get(Principal, call.actor.principal_id)
    if principal is None or principal.kind != "user":
        raise PermissionDenied(
            "only a user's account accepts invites", hint="log in as the user it was made for"
        )
    # Before the invite is claimed (`principal_lock`'s order): a removal of this account here
    # withdraws its invites, and must not find the role it removes given again meanwhile.
    lock_principal(call.session, principal.id)
    invite, workspace = _invite_for(call, principal, code)
    scope = Target(workspace.id, invite.project_id, invite.environment_id)
    held = binding_at(call.session, principal.id, scope)
    if held is not None:
        raise AlreadyExistsError(
            f"you hold a role at that scope of '{workspace.name}' already ({held.role})",
            hint="an admin changes it with: envkeep member grant",
        )
    now = call.clock()
    try:
        claim_invite(call.session, invite, principal_id=principal.id, now=now, key_proof=key_proof)
    except NotAuthenticated as refused:  # a 403, as `_invite_for`'s: the session is valid
        raise PermissionDenied(refused.message, hint=refused.hint) from None
    logged_out = end_sessions_of_roleless(call, principal.id, keep=token_hash(token))
    bind_invite_role(
        call.session,
        invite,
        principal_id=principal.id,
        workspace_id=workspace.id,
        now=now,
        binding_id=call.new_id(),
    )
    append_event(
        call,
        workspace_id=workspace.id,
        action="invite.accept",
        target=principal.name,
        project_id=invite.project_id,
        details={"sessions_ended": logged_out} if logged_out else None,
    )
    return workspace.id, workspace.name


def _invite_for(call: Call, principal: Principal, code: str) -> tuple[Invite, Workspace]:
    """The open invite a code names for ``principal``, and its workspace. A code that lets
    nobody in is refused as for a new account (`accounts.accept_invite`), the same words and
    exit code (4), but as a 403: the session is valid, the code is what is wrong."""
    try:
        invite = open_invite(call.session, code, call.clock())
    except NotAuthenticated as refused:
        raise PermissionDenied(refused.message, hint=refused.hint) from None
    if invite.email != principal.name:
        raise PermissionDenied(
            for_another_email(principal.name),
            hint="log in as the account it was made for (envkeep login URL) and join again;"
            " for a new account: envkeep join URL CODE --email THEIR_EMAIL",
        )
    if invite.workspace_id is None:  # a bootstrap invite founds a workspace with a new account
        raise PermissionDenied("this invite is for a new account", hint=ASK_AGAIN)
    workspace = call.session.get(Workspace, invite.workspace_id)
    if workspace is None:
        raise PermissionDenied("this invite's workspace is gone", hint=ASK_AGAIN)
    return invite, workspace
