"""Client use cases for members: grant (sealing every data key the grantee gains), list
(verifying a key: `member_verify`), invite; what rights taken away did and its rotations
(``finish_revocation``: `key_rotation`), which revoke and remove end with
(`member_revocation`). Roles that overlap (a grant a broader role outranks, a revocation
another role still covers) are `overlapping_roles`.

Public keys come from the server, so they are pinned on first use (``known_keys.json``): a
changed key is refused until ``envkeep member verify`` accepts its fingerprint.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from envkeep import crypto
from envkeep.app.policy import Role
from envkeep.client.invite_proofs import check_invite_secrets_kept, keep_invite_secret
from envkeep.client.key_rotation import rotate_environments
from envkeep.client.member_typos import with_close_name
from envkeep.client.overlapping_roles import (
    bindings_of,
    shadow_warning,
    shadowing,
)
from envkeep.client.principal_names import grant_name, shown_principal
from envkeep.client.revocation_preview import (
    Lowering,
    lowering,
)
from envkeep.client.scope_shares import scope_environments, seal_scope_shares
from envkeep.client.team_server import team_backend
from envkeep.client.token_list import account_ids
from envkeep.core.errors import (
    EnvkeepError,
    IntegrityError,
    NotFoundError,
    PermissionDenied,
    UsageError,
)
from envkeep.core.own_roles import own_change_hint
from envkeep.core.wording import counted

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from envkeep.app.views import PrincipalView
    from envkeep.client.context import ClientContext


# -- members ----------------------------------------------------------------------------------


def lookup(
    ctx: ClientContext, name: str, *, suggest: bool = True, granting: bool = False
) -> PrincipalView:
    """An account by email, or a token by its name, with its public keys. Not found, it
    says which listed name ``name`` is a slip of (``suggest``: a caller that expects the
    name may be missing, and goes on without it, asks for no list); ``granting``: as
    `member_typos.with_close_name`."""
    from envkeep.api import schemas
    from envkeep.client.answers import read_answer
    from envkeep.client.http import principal_view

    backend = team_backend(ctx)
    try:
        data = backend.api.request(
            "GET",
            f"/v1/workspaces/{backend.workspace_id}/principals/by-name",
            params={"name": name},
            answer=schemas.Principal,
        )
    except NotFoundError as missing:
        if not suggest:
            raise
        from envkeep.client.member_invites import roster  # it imports this module

        raise with_close_name(missing, name, lambda: roster(ctx), granting=granting) from None
    return principal_view(read_answer(schemas.Principal, data))


def refuse_lowering(lowered: Lowering) -> None:
    """A grant's default answer to lowering a role: no (saying what it would do)."""
    raise lowered.refused()


def grant(
    ctx: ClientContext,
    name: str,
    role: str,
    *,
    project: str | None,
    environment: str | None,
    confirm_lowering: Callable[[Lowering], None] = refuse_lowering,
    again: str | None = None,
    opened: dict[tuple[str, int], bytes] | None = None,
) -> tuple[int, Revoked]:
    """Bind ``role`` and seal the grantee a share of every environment it gains; return how
    many shares the server stored (not those of keys the grantee held already), and what
    lowering a role revoked (the tokens above it). A grant that would lower the role the
    grantee holds at that scope goes on only once ``confirm_lowering`` returns (it raises to
    stop; by default it refuses): nothing has changed before then. A grant that a broader
    role of the grantee's already outranks is warned of, and made all the same: it applies
    once that role goes. A key of the scope this identity holds no share of stops it before
    anything changes, naming who holds it, to run ``again`` (by default, this grant).
    ``opened``: the data keys opened by earlier grants of this command (`seal_scope_shares`)."""
    backend = team_backend(ctx)
    grantee = lookup(ctx, name, granting=True)
    if grantee.id == ctx.identity.principal_id:  # before asking to lower it: the server refuses
        again = grant_command(grant_name(grantee), role, project, environment)
        raise UsageError(
            "you cannot change your own role",
            hint=own_change_hint(
                admins_over(list_members(ctx), grantee.id, project, environment), again
            ),
        )
    from envkeep.client.new_keys import checked_recipient

    keys = checked_recipient(ctx, grantee, f"the key of each environment the {role} role opens")
    try:
        listed = scope_environments(backend, project=project, environment=environment)
    except PermissionDenied as refused:  # listing the scope needs read: granting needs admin
        where = "/".join(p for p in (project, environment) if p) or "the workspace"
        raise PermissionDenied(
            f"you need the admin role on {where} to grant a role there",
            hint=refused.hint or "ask an admin of the workspace",
        ) from None
    listed_members = list_members(ctx)
    scope = (project, environment)
    lowered = lowering(ctx, backend, grantee, role, scope, members=listed_members)
    _warn_if_shadowed(ctx, grantee, role, scope, listed_members)
    if lowered is not None:
        confirm_lowering(lowered)
    shares = seal_scope_shares(
        ctx,
        backend,
        project=project,
        environment=environment,
        recipient_id=grantee.id,
        recipient=keys,
        listed=listed,
        again=again or grant_command(grant_name(grantee), role, project, environment),
        opened=opened,
    )
    body = {
        "principal_id": grantee.id,
        "role": role,
        "project": project,
        "environment": environment,
        "shares": shares,
    }
    answer = backend.api.request(
        "POST", f"/v1/workspaces/{backend.workspace_id}/members/grant", json=body
    )
    answer = answer or {}  # an older server: 204, no body
    stored = answer.get("shares_stored")  # an older server counts none: those sent, then
    return (len(shares) if stored is None else int(stored)), finish_revocation(ctx, answer)


def _warn_if_shadowed(
    ctx: ClientContext,
    grantee: PrincipalView,
    role: str,
    scope: tuple[str | None, str | None],
    listed: list[dict[str, Any]],
) -> None:
    """Warn of a grant that a broader role of the grantee's gives as much as, or more."""
    try:
        wanted = Role.parse(role)
    except (KeyError, ValueError):
        return  # the server names the roles
    broader = shadowing(bindings_of(listed, grantee.id), wanted, scope)
    if broader:
        ctx.warn_once(shadow_warning(shown_principal(grantee), wanted, scope, broader))


@dataclass(frozen=True)
class Revoked:
    """What taking rights away did: the environments whose keys were rotated after it
    (project/env) and the tokens that ended with those rights (by name)."""

    rotated: list[str]
    tokens: list[str]
    role: str | None = None  # the role revoked, when the member list named it
    last: bool = False  # it was the principal's last role in the workspace
    kept: tuple[str, ...] = ()  # where another role of theirs still reaches (`StillReached`)

    def ended(self, whose: str) -> str:
        """``revoked 2 tokens that depended on their roles (a, b); `` (``whose``: their,
        its), or nothing when no token ended."""
        if not self.tokens:
            return ""
        count = counted(len(self.tokens), "token")
        return f"revoked {count} that depended on {whose} roles ({', '.join(self.tokens)}); "

    def keys(self) -> str:
        """``new keys for: shop/dev, shop/prod``."""
        return f"new keys for: {', '.join(self.rotated) or 'no environment'}"


def finish_revocation(
    ctx: ClientContext, answer: Mapping[str, Any], gone: frozenset[str] = frozenset()
) -> Revoked:
    """Rotate what a revocation's ``answer`` names (`rotate_environments`; ``gone``: who was
    removed, sealed no new key); what it did."""
    ended = [str(t) for t in answer.get("tokens_revoked") or []]
    gone = gone | account_ids(ctx, ended)  # the tokens that ended are sealed no new key either
    return Revoked(rotate_environments(ctx, answer, gone), ended)


def list_members(ctx: ClientContext) -> list[dict[str, Any]]:
    """Every role binding of the workspace, with fingerprints."""
    from envkeep.api.schemas import Member
    from envkeep.client.answer_rows import read_rows

    backend = team_backend(ctx)
    path = f"/v1/workspaces/{backend.workspace_id}/members"
    return read_rows(Member, backend.api.request("GET", path, answer=[Member]))


def grant_command(who: str, role: str, project: str | None, environment: str | None) -> str:
    """The `member grant` that seals ``who`` the keys of ``role`` at that scope, quoted for a
    shell."""
    scope = [
        *(["--project", project] if project else []),
        *(["--env", environment] if environment else []),
    ]
    return shlex.join(["envkeep", "member", "grant", who, role, *scope])


def invite(
    ctx: ClientContext, email: str, role: str, *, project: str | None, environment: str | None
) -> str:
    """A one-time invite code for ``email`` (give it to them with the server URL). Its secret
    is also kept here, to check later that the server hands out the keys they registered."""
    from envkeep.app.credentials import new_secret, token_hash
    from envkeep.client.invite_codes import invite_code

    backend = team_backend(ctx)
    check_invite_secrets_kept(ctx, "no invite was made")
    # The secret is made here and never sent: the server gets the hash of a key derived from
    # it, so it cannot make the proof of keys that the secret's holder makes (`join`).
    secret = new_secret()
    body = {"email": email, "role": role, "project": project, "environment": environment}
    body["accept_hash"] = token_hash(crypto.invite_accept_key(secret))
    path = f"/v1/workspaces/{backend.workspace_id}/invites"
    try:
        data = backend.api.request("POST", path, json=body)
    except EnvkeepError as refused:  # a server from before 0.2 refuses the unknown field
        if type(refused) is not EnvkeepError or "accept_hash" not in refused.message:
            raise
        data = None
    invite_id = data.get("id") if isinstance(data, dict) else None
    if not isinstance(invite_id, str) or len(invite_id) != 36:
        raise IntegrityError(
            "the server did not take an invite whose secret stays on this machine; nothing"
            " was made",
            hint="the server is older than this envkeep: upgrade it (then envkeep server"
            " migrate), and invite again",
        )
    keep_invite_secret(ctx, invite_id, secret, email.strip().lower())
    return invite_code(invite_id, secret)


def admins_over(
    members: list[dict[str, Any]], me: str, project: str | None, environment: str | None
) -> list[str]:
    """The people but ``me`` that ``member list`` shows holding admin over that scope: at it,
    or at a scope above it."""

    def over(member: dict[str, Any]) -> bool:
        return member["project"] in (None, project) and (
            member["project"] is None or member["environment"] in (None, environment)
        )

    return sorted(
        {
            m["principal"]["name"]
            for m in members
            if m["role"] == "admin"
            and m["principal"]["kind"] == "user"
            and m["principal"]["id"] != me
            and not m.get("expired")
            and over(m)
        }
    )
