"""`token create`: a new service account at a scope, its keys made and its shares sealed here."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from envkeep.client.members import list_members
from envkeep.client.pins import load_pins, pin_made_here
from envkeep.client.scope_shares import seal_scope_shares
from envkeep.client.signer_list import ScopeSigners, scope_signers
from envkeep.client.team_server import team_backend
from envkeep.client.token_keys import never_field, new_account
from envkeep.core.errors import EnvkeepError, PermissionDenied

if TYPE_CHECKING:
    from envkeep.app.views import EnvironmentSnapshot
    from envkeep.client.context import ClientContext
    from envkeep.client.http import HttpBackend


def create_token(
    ctx: ClientContext,
    name: str,
    role: str,
    *,
    project: str | None,
    environment: str | None,
    expires: str | None,
) -> CreatedToken:
    """A new service account with ``role`` at the scope: its token, shown once, when it
    expires (as the server says: without ``expires``, its maximum lifetime where it has one),
    and who signed what its scope holds now (from the reads that seal its shares).
    Without a project the scope is the whole workspace; a creator without the rights that
    needs is told so, with the ``--project`` that would do (`workspace_wide_refused`)."""
    backend = team_backend(ctx)
    new = new_account(expires)
    pins_before = load_pins(ctx)  # the read below pins the signers first seen in it
    read: list[EnvironmentSnapshot] = []
    try:
        shares = seal_scope_shares(
            ctx,
            backend,
            project=project,
            environment=environment,
            recipient_id=new.principal_id,
            recipient=new.public,
            read=read,
        )
        scope = {"name": name, "role": role, "project": project, "environment": environment}
        body = {**new.body, **scope, "shares": shares, **never_field(expires)}
        answer = _post_token(backend, body)
    except PermissionDenied as refused:
        if project is not None:
            raise
        raise workspace_wide_refused(ctx, name, role, refused) from None
    pin_made_here(ctx, new.principal_id, new.public)
    signed = scope_signers(ctx, read, pins_before)
    if not isinstance(answer, dict):  # an older server: 201, no body; as asked, then
        return CreatedToken(new.token, new.body["expires_at"], signed)
    at_maximum = answer.get("at_maximum") is True
    return CreatedToken(new.token, answer.get("expires_at"), signed, at_maximum)


def _post_token(backend: HttpBackend, body: dict[str, Any]) -> Any:
    """Create the token; a server from before ``never_expires`` refuses the field, and makes
    a token that never expires without it: asked so again."""
    path = f"/v1/workspaces/{backend.workspace_id}/tokens"
    try:
        return backend.api.request("POST", path, json=body)
    except EnvkeepError as refused:  # an older server's 422 has a code this client lacks
        unknown = type(refused) is EnvkeepError and "never_expires" in refused.message
        if "never_expires" not in body or not unknown:
            raise
    older = {key: value for key, value in body.items() if key != "never_expires"}
    return backend.api.request("POST", path, json=older)


@dataclass(frozen=True)
class CreatedToken:
    """A token made by `token create`, to be shown once; when it expires (ISO 8601; None:
    never); who signed what its scope holds now, as its creator's read met them."""

    token: str = field(repr=False)
    expires_at: str | None
    signed: ScopeSigners
    at_maximum: bool = False  # the server's maximum lifetime chose it (no --expires given)


def workspace_wide_refused(
    ctx: ClientContext, name: str, role: str, refused: PermissionDenied
) -> PermissionDenied:
    """The refusal of a token without ``--project``: it would cover the whole workspace,
    where the creator lacks the rights (the server's reason kept); the hint names the
    checkout's project (or ENVKEEP_PROJECT's) when there is one."""
    named = ctx.has_checkout or bool(ctx.settings.project)
    project = ctx.project_file.project if named else None
    message = (
        f"without --project a token holds its role on the whole workspace, and you cannot"
        f" give one {role} there: {refused.message}"
    )
    held = _scopes_holding(ctx, role)
    if not held:
        where = f" --project {project or 'NAME'}"
        return PermissionDenied(
            message, hint=f"limit it to a project: envkeep token create {name} --role {role}{where}"
        )
    held.sort(key=lambda scope: scope[0] != project)  # the checkout's project first
    options = [shlex.join(["--project", p, *(["--env", e] if e else [])]) for p, e in held]
    more = f" (or {'; '.join(options[1:4])})" if len(options) > 1 else ""
    return PermissionDenied(
        message,
        hint=f"limit it to where you hold {role}: envkeep token create {name} --role {role}"
        f" {options[0]}{more}",
    )


def _scopes_holding(ctx: ClientContext, role: str) -> list[tuple[str, str | None]]:
    """The projects (and environments) where the caller holds ``role`` or more, from the
    member list (which shows everyone their own roles); none when it cannot be read."""
    from envkeep.app.policy import Role

    try:
        wanted = Role.parse(role)
        found = list_members(ctx)
    except (KeyError, EnvkeepError):
        return []
    me = ctx.identity.principal_id
    held: list[tuple[str, str | None]] = []
    for member in found:
        if member["principal"]["id"] != me or not member.get("project"):
            continue
        if member["role"] in {"read", "write", "admin"} and Role.parse(member["role"]) >= wanted:
            held.append((member["project"], member.get("environment")))
    return held
