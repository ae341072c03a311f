"""Taking a member's rights away, client side: `member revoke` removes one role, `member
remove` the member (and the tokens they made); then the data key of every environment they
(and the tokens that ended with them) could read is rotated (``members.finish_revocation``).
Both are refused before anything changes when this identity could not rotate them all
(`revocation_preview`), unless told to go on now, and ask first (`revocation_plan`)."""

from __future__ import annotations

import shlex
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from envkeep.api import schemas
from envkeep.client._seen_roles import scope_of
from envkeep.client.members import Revoked, finish_revocation, list_members, lookup
from envkeep.client.overlapping_roles import bindings_of, still_reached
from envkeep.client.principal_names import shown_principal
from envkeep.client.revocation_plan import RevocationPlan, refuse_plan
from envkeep.client.revocation_preview import REVOKE_NOW, foresee_revocation
from envkeep.client.team_server import team_backend
from envkeep.core.errors import EnvkeepError, NotFoundError, RoleNotHeld, UsageError

if TYPE_CHECKING:
    from collections.abc import Callable

    from envkeep.client.context import ClientContext


def revoke(
    ctx: ClientContext,
    name: str,
    *,
    project: str | None,
    environment: str | None,
    now: bool = False,
    confirm: Callable[[RevocationPlan], None] = refuse_plan,
) -> Revoked:
    """Remove the role, then rotate the data key of every environment it (and the tokens
    that ended with it) could read; refused before anything changes when this identity could
    not rotate them all, unless ``now`` (the rotations left are then named). It goes on only
    once ``confirm`` returns, told what it will do, as `remove` does."""
    backend = team_backend(ctx)
    principal = lookup(ctx, name)
    who = shown_principal(principal)
    scope = (project, environment)
    forecast = foresee_revocation(ctx, backend, who, scope, f"revoking {who}'s role", check=not now)
    if forecast.taken and principal.id != ctx.identity.principal_id:
        flags = [
            *(["--project", project] if project else []),
            *(["--env", environment] if environment else []),
        ]
        command = ["envkeep", "member", "revoke", name, *flags, *([REVOKE_NOW] if now else [])]
        confirm(RevocationPlan.of(forecast, shlex.join(command), ending="role"))
    listed = list_members(ctx)  # one request: the role revoked, and whether it is the last
    held = bindings_of(listed, principal.id)
    body = {"principal_id": principal.id, "project": project, "environment": environment}
    try:
        answer = backend.api.request(
            "POST",
            f"/v1/workspaces/{backend.workspace_id}/members/revoke",
            json=body,
            answer=schemas.Revoked,
        )
    except RoleNotHeld:  # the server names only a member it still knows
        raise RoleNotHeld.at(name, scope_where(project, environment)) from None
    # Not the member: another role of theirs may still reach an environment a token that
    # ended with this one made it rotate (the tokens are left out: `finish_revocation`).
    done = finish_revocation(ctx, answer)
    role = next((str(b.role) for b in held if scope_of(b) == scope), None)
    kept = [b for b in held if scope_of(b) != scope]
    return replace(
        done,
        role=role,
        last=role is not None and len(held) == 1 and _sees_all(ctx, listed),
        kept=tuple(s.said(who, done.rotated) for s in still_reached(kept, scope)),
    )


def _sees_all(ctx: ClientContext, listed: list[dict[str, Any]]) -> bool:
    """Whether the caller's member list is the whole workspace's (it holds a role on the
    workspace); a project's admin sees only the roles within its reach."""
    me = ctx.session.principal_id if ctx.session is not None else None
    return any(m["principal"]["id"] == me and m["project"] is None for m in listed)


def scope_where(project: str | None, environment: str | None) -> str:
    """A role's scope as messages name it: ``shop/staging``, ``shop``, ``workspace``."""
    return "/".join(p for p in (project, environment) if p) or "workspace"


def remove(
    ctx: ClientContext,
    name: str,
    *,
    now: bool = False,
    confirm: Callable[[RevocationPlan], None] = refuse_plan,
) -> Revoked:
    """Remove a member from the workspace (and the tokens they made), then rotate every key
    they could read, whatever roles overlap (``now``: as `revoke`'s). It goes on only once
    ``confirm`` returns, told what it will do (it raises to stop; by default it refuses):
    nothing has changed before then. One the caller sees no role of, or itself, is left to
    the server to refuse, unasked."""
    backend = team_backend(ctx)
    principal = lookup(ctx, name)
    if principal.kind == "service":  # removed, it would stay a live token with no role
        raise UsageError(
            f"'{name}' is a token, not a member",
            hint=f"end it with: envkeep token revoke {shlex.quote(name)}",
        )
    who = shown_principal(principal)
    forecast = foresee_revocation(ctx, backend, who, None, f"removing {who}", check=not now)
    if forecast.taken and principal.id != ctx.identity.principal_id:
        command = ["envkeep", "member", "remove", name, *([REVOKE_NOW] if now else [])]
        confirm(RevocationPlan.of(forecast, shlex.join(command)))
    try:
        answer = backend.api.request(
            "POST",
            f"/v1/workspaces/{backend.workspace_id}/members/remove",
            json={"principal_id": principal.id},
            answer=schemas.Revoked,
        )
    except NotFoundError:  # the account is known (looked up above), but holds no role here
        owed = _rotations_owed(ctx)
        raise NotFoundError(
            f"{who} holds no role in this workspace; there is nothing to remove",
            hint="their account stays; to give them access again: envkeep member grant"
            f" {shlex.quote(name)} ROLE --project PROJECT" + (f"; {owed}" if owed else ""),
        ) from None
    return finish_revocation(ctx, answer, frozenset({principal.id}))


def _rotations_owed(ctx: ClientContext) -> str | None:
    """The rotations the checkout's environments still owe to principals that lost access (a
    removal cut short after its revocation: running it again finds no role), as one clause;
    None when none is owed, or the environments cannot be listed."""
    if not ctx.has_checkout:
        return None
    from envkeep.client.environments import list_environments

    try:
        owed = [e.name for e in list_environments(ctx) if e.former_holders]
    except EnvkeepError:
        return None
    if not owed:
        return None
    commands = ", ".join(f"envkeep env rotate-key {shlex.quote(env)}" for env in owed)
    return f"an earlier revocation left keys its principal still holds unrotated: {commands}"
