"""A workspace's pending invites: listed beside its members, and withdrawn.

An invite (`create_invite`; none to a scope where its account holds a role already:
`refuse_role_held`) waits, unaccepted, until it expires; meanwhile it gives nobody anything,
and its code joins once. Who may see it is who may see a role at its scope
(`authz.may_see_role_at`, `member list`'s rule); withdrawing it needs what making it needed:
admin at its scope. A withdrawn invite is deleted, so its code joins nothing; its audit event
keeps who withdrew which one.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select

from envkeep.app import credentials
from envkeep.app._lookup import binding_at, names_in_workspace
from envkeep.app.audit import append_event, shown_names
from envkeep.app.authz import (
    check_role,
    may_see_role_at,
    require_member,
    require_role,
    require_role_anywhere,
)
from envkeep.app.context import aware
from envkeep.app.invite_codes import check_email, invite_code
from envkeep.app.policy import Role, Target
from envkeep.app.principal_labels import token_label
from envkeep.app.role_scopes import Scope, role_named, scope_target
from envkeep.core.errors import AlreadyExistsError, NotAuthenticated, NotFoundError, UsageError
from envkeep.store.models import Invite, Principal

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement

    from envkeep.app.context import Call

INVITE_TTL = timedelta(days=3)


@dataclass(frozen=True)
class PendingInvite:
    """An invite not accepted yet, its scope by name (None: all of it); ``expired`` by the
    server's clock, which is the one `join` goes by."""

    id: str
    email: str
    role: str
    project: str | None
    environment: str | None
    created_at: str
    expires_at: str
    expired: bool
    invited_by: str | None = None  # as `audit` names its maker; None when not known


def _target(invite: Invite) -> Target:
    return Target(str(invite.workspace_id), invite.project_id, invite.environment_id)


def grant_command(name: str, role: str, project: str | None, environment: str | None) -> str:
    """The `member grant` giving the principal called ``name`` (an email, or a token's stored
    name) ``role`` at that scope, quoted for a shell: what a refusal tells an admin to run."""
    scope = [
        *(["--project", project] if project else []),
        *(["--env", environment] if environment else []),
    ]
    return shlex.join(["envkeep", "member", "grant", token_label(name) or name, role, *scope])


def refuse_role_held(call: Call, *, target: Target, email: str, role: str) -> None:
    """Refuse inviting, at ``target``, an account that holds a role at exactly that scope: the
    rule `workspaces.join_workspace` refuses its code by, so the invite could never be used
    (`member grant` changes the role). An invite to another scope joins, as for a member of
    another project invited by a project's admin, who cannot see them. Called for an admin at
    ``target``, who sees the role it names (`member list`)."""
    email = email.strip().lower()
    account = call.session.scalar(
        select(Principal).where(Principal.name == email, Principal.kind == "user")
    )
    held = None if account is None else binding_at(call.session, account.id, target)
    if held is None:
        return
    projects, envs = names_in_workspace(call, target.workspace_id)
    names = (projects.get(target.project_id or ""), envs.get(target.environment_id or ""))
    where = "/".join(n for n in names if n) or "the workspace"
    raise AlreadyExistsError(
        f"{email} holds {held.role} on {where} already; an invite there could not be used",
        hint=f"change their role with: {grant_command(email, role, *names)}",
    )


def list_invites(call: Call, *, workspace_id: str) -> list[PendingInvite]:
    """The workspace's invites nobody accepted yet (expired ones too, until withdrawn), those
    whose scope the caller's roles reach: as `member_list.list_members` shows role bindings."""
    mine = require_member(call.fetch, call.actor.principal_id, workspace_id)
    rows = call.session.scalars(
        select(Invite)
        .where(Invite.workspace_id == workspace_id, Invite.accepted_at.is_(None))
        .order_by(Invite.email, Invite.created_at)
    )
    shown = [i for i in rows if may_see_role_at(mine, _target(i))]
    projects, envs = names_in_workspace(call, workspace_id)
    makers = shown_names(call, (i.created_by for i in shown))
    now = call.clock()
    return [
        PendingInvite(
            i.id,
            i.email,
            i.role,
            projects.get(i.project_id or ""),
            envs.get(i.environment_id or ""),
            aware(i.created_at).isoformat(),
            aware(i.expires_at).isoformat(),
            aware(i.expires_at) <= now,
            makers.get(i.created_by or ""),
        )
        for i in shown
    ]


def pending_for(call: Call, *, workspace_id: str, email: str) -> bool:
    """Whether ``email`` has an invite nobody accepted yet that the caller sees in `member
    list` (its scope within the caller's reach): a grant to them waits for their `join`."""
    mine = require_member(call.fetch, call.actor.principal_id, workspace_id)
    rows = call.session.scalars(
        select(Invite).where(
            Invite.workspace_id == workspace_id,
            Invite.email == email.strip().lower(),
            Invite.accepted_at.is_(None),
        )
    )
    return any(may_see_role_at(mine, _target(i)) for i in rows)


def withdraw_invite(call: Call, *, workspace_id: str, invite_id: str) -> None:
    """Delete an invite nobody accepted yet (admins of its scope, as for making it), so that
    its code joins nothing; one audit event."""
    mine = require_member(call.fetch, call.actor.principal_id, workspace_id)  # a stranger: 403
    invite = call.session.get(Invite, invite_id)
    if invite is None or invite.workspace_id != workspace_id or invite.accepted_at is not None:
        raise NotFoundError(
            "no pending invite with that id in this workspace (accepted or withdrawn already?)",
            hint="see who is invited: envkeep member list",
        )
    check_role(mine, _target(invite), Role.ADMIN, fetch=call.fetch)
    projects, envs = names_in_workspace(call, workspace_id)
    # Conditional: an acceptance that got there first (the same row, locked) keeps its invite.
    gone = call.session.execute(
        delete(Invite)
        .where(Invite.id == invite.id, Invite.accepted_at.is_(None))
        .execution_options(synchronize_session=False)
    )
    if not getattr(gone, "rowcount", 0):
        raise NotFoundError("that invite was accepted meanwhile", hint="envkeep member list")
    append_event(
        call,
        workspace_id=workspace_id,
        action="invite.withdraw",
        target=invite.email,
        details={
            "role": invite.role,
            "project": projects.get(invite.project_id or ""),
            "environment": envs.get(invite.environment_id or ""),
        },
        project_id=invite.project_id,
    )


def withdraw_all_for(call: Call, *, workspace_id: str, email: str) -> int:
    """Delete every invite to the workspace for ``email`` nobody accepted yet; how many (for a
    member's removal, whose caller is the workspace's admin: a removed member must not come
    back with a code sent earlier)."""
    return _withdraw_pending(call, workspace_id, Invite.email == email)


def withdraw_unbacked(call: Call, *, workspace_id: str) -> int:
    """After roles were taken (a revocation, a lowering, a token ended): delete the
    workspace's invites nobody accepted yet whose maker no longer holds admin at their scope.
    They would join nobody (`invite_codes.refuse_unbacked`), and `member list` would show them
    pending until they expire. How many."""
    from envkeep.app.invite_codes import refuse_unbacked

    now = call.clock()
    pending = call.session.scalars(
        select(Invite).where(
            Invite.workspace_id == workspace_id,
            Invite.accepted_at.is_(None),
            Invite.created_by.is_not(None),
        )
    ).all()
    dead = []
    for invite in pending:
        try:
            refuse_unbacked(call.session, invite, now)
        except NotAuthenticated:
            dead.append(invite.id)
    if not dead:
        return 0
    return _withdraw_pending(call, workspace_id, Invite.id.in_(dead))


def _withdraw_pending(call: Call, workspace_id: str, which: ColumnElement[bool]) -> int:
    """Delete the workspace's invites nobody accepted yet that match ``which``; how many."""
    gone = call.session.execute(
        delete(Invite)
        .where(Invite.workspace_id == workspace_id, which, Invite.accepted_at.is_(None))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(gone, "rowcount", 0) or 0)


def create_invite(
    call: Call,
    *,
    workspace_id: str,
    email: str,
    role: str,
    project: str | None = None,
    environment: str | None = None,
    ttl: timedelta = INVITE_TTL,
    accept_hash: str | None = None,
    resets: bool = False,
) -> tuple[str, str | None]:
    """A one-time, expiring invite to the workspace with a role at a scope (admins there;
    never a role above the inviter's, nor to a scope where the account holds a role:
    `refuse_role_held`): (its id, its code). Given ``accept_hash``, the hash of the key the
    inviter's client derived from a secret it keeps, the server stores that and makes no
    code (the client writes it); without (an envkeep before 0.2), the server makes the
    secret, and the code. ``resets``: the code gives the account new keys (`account_reset`)."""

    wanted = role_named(role)
    target, _envs = scope_target(call, workspace_id, Scope(project, environment))
    held = require_role(call, target, Role.ADMIN)
    check_email(email)
    if wanted > held:
        raise UsageError(f"you cannot invite as {wanted}: you hold {held} here")
    refuse_role_held(call, target=target, email=email, role=str(wanted))
    secret = None if accept_hash is not None else credentials.new_secret()
    invite = Invite(
        id=call.new_id(),
        workspace_id=workspace_id,
        email=email.lower(),
        role=str(wanted),
        project_id=target.project_id,
        environment_id=target.environment_id,
        secret_hash=accept_hash or credentials.token_hash(secret or ""),
        created_by=call.actor.principal_id,
        created_at=call.clock(),
        expires_at=call.clock() + ttl,
        resets=resets,
    )
    call.session.add(invite)
    call.session.flush()
    append_event(
        call,
        workspace_id=workspace_id,
        action="member.invite",
        target=email.lower(),
        details={
            "role": str(wanted),
            "project": project,
            "environment": environment,
            **({"resets": True} if resets else {}),
        },
        project_id=target.project_id,
    )
    return invite.id, None if secret is None else invite_code(invite.id, secret)


def invite_proofs(call: Call, *, workspace_id: str, principal_id: str) -> list[tuple[str, str]]:
    """(invite id, key proof) of every accepted invite that brought ``principal_id`` into the
    workspace since its keys were last reset, for the inviter's client to check the keys the
    server hands out."""
    require_role_anywhere(call, workspace_id, Role.ADMIN)  # its admins at any scope grant
    # Only the proofs of its current keys: those a reset (`account_reset`) replaced would
    # read as keys swapped in to the clients that made the invites before it.
    since = call.session.scalar(
        select(func.max(Invite.accepted_at)).where(
            Invite.accepted_by == principal_id, Invite.resets.is_(True)
        )
    )
    rows = call.session.scalars(
        select(Invite).where(
            Invite.workspace_id == workspace_id,
            Invite.accepted_by == principal_id,
            *([Invite.accepted_at >= since] if since is not None else []),
        )
    )
    return [(i.id, i.key_proof) for i in rows if i.key_proof]
