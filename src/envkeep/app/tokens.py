"""Service accounts: a machine principal with one role at one scope and a bearer token.

The creator's client makes the account's key pairs, wraps the private keys with a key derived
from the token's secret, and seals it a share of every environment the role opens; the server
stores the wrapped keys, the shares and a SHA-256 of the token. A service account may hold
only a subset of its creator's rights. Each use case here appends exactly one audit event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy import or_, select

from envkeep.app import credentials
from envkeep.app._lookup import names_in_workspace
from envkeep.app._service_accounts import (
    Grant,
    add_account,
    ended_roles,
    find_account,
    target_of,
)
from envkeep.app.audit import append_event, shown_names
from envkeep.app.authz import (
    may_list,
    require_creator_or_admin,
    require_member,
    require_role,
)
from envkeep.app.context import aware
from envkeep.app.invites import withdraw_unbacked
from envkeep.app.policy import Target, common_project
from envkeep.app.principal_labels import account_prefixes, retired_why
from envkeep.app.principals import principal_view
from envkeep.app.role_scopes import (
    Scope,
    covered_environments,
    revocation,
    role_named,
    scope_target,
)
from envkeep.app.token_cascade import end_account, end_uncovered_tokens
from envkeep.app.token_lifetime import (
    NO_MAXIMUM,
    Lifetime,
    LifetimePolicy,
    new_lifetime,
)
from envkeep.core.errors import EnvkeepError, NotFoundError, PermissionDenied, UsageError
from envkeep.store.models import EndedRole, Principal, RoleBinding, SessionToken

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from datetime import datetime

    from envkeep.app.context import Call
    from envkeep.app.share_store import NewShare
    from envkeep.app.views import PrincipalView, Revocation

TOKEN_PREFIX = "ek_sa_"  # noqa: S105 - a prefix, not a secret


@dataclass(frozen=True)
class AccountKeys:
    """A new account's public keys, wrapped private keys, token hash and shares, as the
    creating client made them (no secret the server could use)."""

    principal_id: str
    encryption_public: bytes
    signing_public: bytes
    wrapped_private_keys: bytes
    token_hash: str = field(repr=False)
    expires_at: datetime | None
    shares: tuple[NewShare, ...]


@dataclass(frozen=True)
class NewServiceAccount:
    """What the creator's client uploads (no secret the server could use)."""

    name: str
    role: str
    scope: Scope
    keys: AccountKeys
    never_expires: bool = False  # asked for a token that never expires (``keys.expires_at`` None)


@dataclass(frozen=True)
class ServiceAccountView:
    """A token as ``token list`` shows it; its scope by name (None: all of it). An ended one
    (``revoked``) says how (``ended``: ``revoked``, or ``rotated out`` once `token rotate`
    gave its name to a successor) and when; several may bear one name, its holder last."""

    principal: PrincipalView
    label: str
    role: str | None  # None: no role (revoked: its roles were dropped with it)
    project: str | None
    environment: str | None
    created_at: str
    expires_at: str | None
    revoked: bool  # ended: revoked or rotated out
    created_by: str | None = None  # its creator as `audit` names it; None when not known
    ended: str | None = None  # None while live; else `principal_labels.retired_why`'s words
    ended_at: str | None = None
    # Live, and made to live longer than the server's maximum (`token_max_lifetime`), before
    # it was set: rotating it brings it under (`token_lifetime`).
    over_maximum: bool = False
    # When a request last authenticated with it, to within `session_marks.USED_STEP`; None:
    # not since the server began to record it. An ended token keeps its last.
    last_used_at: str | None = None


@dataclass(frozen=True)
class TokenSelf:
    """What a token's holder needs to unwrap its keys, and the scopes its roles lie in (by
    name: project and environment, None for all of it), from which a command run with the
    token and no checkout takes its project and environment."""

    principal_id: str
    workspace_id: str
    wrapped_private_keys: bytes
    encryption_public: bytes
    signing_public: bytes
    scopes: tuple[tuple[str | None, str | None], ...] = ()
    expires_at: str | None = None  # when the token the call was made with expires (None: never)


# A new token's name (tokens named otherwise before this rule keep their names, and rotate).
_NEW_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def create_service_account(
    call: Call,
    *,
    workspace_id: str,
    new: NewServiceAccount,
    lifetime: LifetimePolicy = NO_MAXIMUM,
) -> Lifetime:
    """Create the account, its binding, its shares and its token, in one transaction; return
    when the token expires, as asked or as the server's maximum ``lifetime`` has it (a
    LifetimeOverMaximum for a longer one: `token_lifetime`)."""
    if "@" in new.name:  # an email names a person (`_lookup.principal_name`)
        raise UsageError(
            f"a token's name cannot hold '@' ({new.name!r})", hint="pick another, e.g. ci-deploy"
        )
    if _NEW_LABEL.fullmatch(new.name) is None:  # it is typed in commands and read in audits
        raise UsageError(
            f"{new.name!r} is not a token name: letters, digits, '.', '_' and '-', up to 100,"
            " starting with a letter or a digit",
            hint="pick another, e.g. ci-deploy",
        )
    wanted = role_named(new.role)
    target, envs = scope_target(call, workspace_id, new.scope)
    held = require_role(call, target, wanted)  # a subset of the creator's own rights
    granted = new_lifetime(lifetime, call.clock(), new.keys.expires_at, never=new.never_expires)
    grant = Grant(target, wanted, call.actor.principal_id)
    add_account(
        call,
        grants=[grant],
        label=new.name,
        keys=replace(new.keys, expires_at=granted.expires_at),
        envs=envs,
        created_by=call.actor.principal_id,
    )
    append_event(
        call,
        workspace_id=workspace_id,
        action="token.create",
        target=new.name,
        project_id=target.project_id,
        details={
            "role": str(wanted),
            "held": str(held),
            "principal_id": new.keys.principal_id,
            **granted.audited,
        },
    )
    return granted


def list_service_accounts(
    call: Call, *, workspace_id: str, lifetime: LifetimePolicy = NO_MAXIMUM
) -> list[ServiceAccountView]:
    """The workspace's service accounts, scopes by name, a row for each role (`may_see_token`):
    all of them for its readers; for a member with narrower roles those with a role where it
    reads (a project's admin manages the tokens of its project), each with those roles only,
    and those it made, with no role shown where it reads none. An ended one (revoked, or
    rotated out) is seen with the roles it held when it ended, where they were; those whose
    name a newer token took too, so a name's history reads in order of creation. A live one
    made to outlive the server's maximum ``lifetime`` says so (``over_maximum``)."""
    mine = require_member(call.fetch, call.actor.principal_id, workspace_id)
    everything = may_list(mine, Target(workspace_id))
    named = (Principal.name.startswith(p, autoescape=True) for p in account_prefixes(workspace_id))
    rows = call.session.execute(
        select(Principal, SessionToken, RoleBinding)
        .join(SessionToken, SessionToken.principal_id == Principal.id)
        .outerjoin(RoleBinding, RoleBinding.principal_id == Principal.id)
        .where(Principal.kind == "service", or_(*named))
        .order_by(Principal.created_at, Principal.id)
    ).all()
    held = [*_with_ended_roles(call, [(p, t, b) for p, t, b in rows])]
    shown: list[tuple[Principal, SessionToken, RoleBinding | EndedRole | None]] = [
        (p, t, b) for p, t, b in held if everything or (b and may_list(mine, target_of(b)))
    ]
    seen = {p.id for p, _, _ in shown}
    made = {p.id: (p, t) for p, t, _ in rows if p.created_by == call.actor.principal_id}
    shown += [(p, t, None) for key, (p, t) in made.items() if key not in seen]
    shown.sort(key=lambda row: (row[1].label or "", aware(row[0].created_at), row[0].id))
    over = partial(lifetime.exceeds, now=call.clock())
    view = partial(_token_view, names_in_workspace(call, workspace_id), over=over)
    creators = shown_names(call, (p.created_by for p, _, _ in shown))
    return [view(creators, *row) for row in shown]


def _with_ended_roles(
    call: Call, rows: Sequence[tuple[Principal, SessionToken, RoleBinding | None]]
) -> Iterator[tuple[Principal, SessionToken, RoleBinding | EndedRole | None]]:
    """The rows, a revoked account's with the roles it held when it ended (`EndedRole`) in
    place of the live ones it no longer has: shown, and seen, where they were."""
    ended = ended_roles(call, {p.id for p, _, b in rows if b is None and p.disabled_at is not None})
    for account, token, binding in rows:
        if binding is None and account.id in ended:
            yield from ((account, token, role) for role in ended[account.id])
        else:
            yield account, token, binding


def _token_view(
    names: tuple[dict[str, str], dict[str, str]],
    creators: dict[str, str],
    account: Principal,
    token: SessionToken,
    binding: RoleBinding | EndedRole | None,
    *,
    over: Callable[[datetime, datetime | None], bool],
) -> ServiceAccountView:
    """One row of `token list`: a token and one role it holds (None: none shown); ``over``:
    whether a token made then to end then outlives the server's maximum lifetime."""
    projects, envs = names
    ended_at = account.disabled_at or token.revoked_at
    return ServiceAccountView(
        principal_view(account),
        token.label or "",
        binding.role if binding else None,
        projects.get(binding.project_id) if binding and binding.project_id else None,
        envs.get(binding.environment_id) if binding and binding.environment_id else None,
        aware(account.created_at).isoformat(),
        aware(token.expires_at).isoformat() if token.expires_at else None,
        ended_at is not None,
        creators.get(account.created_by or ""),
        retired_why(account.name) or ("revoked" if ended_at else None),
        aware(ended_at).isoformat() if ended_at else None,
        ended_at is None and over(token.created_at, token.expires_at),
        aware(token.last_used_at).isoformat() if token.last_used_at else None,
    )


def revoke_service_account(call: Call, *, workspace_id: str, label: str) -> tuple[str, Revocation]:
    """Disable the account, end its token, drop its roles, and end the tokens that lived on
    them (`token_cascade`); return its id and the environments it and they could read (whose
    keys the caller's client rotates next, where it is their admin). Its creator may revoke it
    (a member, or a token that made it), as may an admin wherever it holds a role: the audit
    event says which (``by``)."""
    account, bindings = find_account(call, workspace_id, label)
    if account.disabled_at is not None:
        raise _revoked_already(label)
    by = require_creator_or_admin(
        call,
        workspace_id,
        [target_of(b) for b in bindings],
        created_by=account.created_by,
        refused=lambda: _not_yours(call, workspace_id, account, bindings, label),
    )
    readable = covered_environments(call, workspace_id, bindings)
    project_id = common_project(target_of(b) for b in bindings)
    end_account(call, account, bindings)
    ended = end_uncovered_tokens(call, workspace_id)
    withdraw_unbacked(call, workspace_id=workspace_id)  # invites it, or those it ended, made
    append_event(
        call,
        workspace_id=workspace_id,
        action="token.revoke",
        target=label,
        project_id=project_id,
        details={"by": by, "principal_id": account.id, **ended.details()},
    )
    return account.id, revocation(call, workspace_id, readable, ended)


def _not_yours(
    call: Call, workspace_id: str, account: Principal, bindings: list[RoleBinding], label: str
) -> PermissionDenied:
    """The refusal of a revoke by neither the token's creator nor its admin, naming both where
    the caller may list the token (as `token list` shows it), and only saying who otherwise."""
    mine = require_member(call.fetch, call.actor.principal_id, workspace_id)
    targets = [target_of(b) for b in bindings] or [Target(workspace_id)]
    if not all(may_list(mine, t) for t in targets):
        return _refusal(label)
    made_by = account.created_by or ""
    named = shown_names(call, [made_by])
    creator = f"its creator ({named[made_by]})" if made_by in named else "its creator"
    return _refusal(label, creator, f"of {_scopes_named(call, workspace_id, targets)}")


def _refusal(
    label: str, creator: str = "its creator", where: str = "wherever it holds a role"
) -> PermissionDenied:
    return PermissionDenied(
        f"you cannot revoke token '{label}': only {creator} or an admin {where} can, and you"
        " are neither",
        hint=f"ask one of them to run: envkeep token revoke {label}",
    )


def _scopes_named(call: Call, workspace_id: str, targets: list[Target]) -> str:
    """``shop/staging``, ``shop`` or ``the workspace``, for each target, as `token list` shows
    a token's scope."""
    projects, envs = names_in_workspace(call, workspace_id)
    return ", ".join(
        "/".join(filter(None, (projects.get(t.project_id or ""), envs.get(t.environment_id or ""))))
        or "the workspace"
        for t in targets
    )


def _revoked_already(label: str) -> EnvkeepError:
    """A revoked token's refusal, to whoever sees it in `token list` (`find_account` answered
    anyone else as for a token that does not exist)."""
    return NotFoundError(
        f"token '{label}' is revoked already; nothing changed",
        hint="if its environments' keys were not rotated then, an admin of each rotates it:"
        " envkeep env rotate-key ENV --project PROJECT",
    )


def token_self(call: Call, *, token: str) -> TokenSelf:
    """A service account's own wrapped keys and workspace, and when ``token`` (the one the
    call was made with) expires."""
    account = call.session.get(Principal, call.actor.principal_id)
    bindings = list(
        call.session.scalars(
            select(RoleBinding)
            .where(RoleBinding.principal_id == call.actor.principal_id)
            .order_by(RoleBinding.id)
        )
    )
    if account is None or account.kind != "service" or not bindings:
        raise NotFoundError("this is not a service-account token with a role")
    workspace_id = bindings[0].workspace_id
    projects, envs = names_in_workspace(call, workspace_id)
    scopes = {
        (
            projects.get(b.project_id) if b.project_id else None,
            envs.get(b.environment_id) if b.environment_id else None,
        )
        for b in bindings
        if b.workspace_id == workspace_id
        # a name not found (gone meanwhile) would read as a wider scope: left out instead
        and (b.project_id is None or b.project_id in projects)
        and (b.environment_id is None or b.environment_id in envs)
    }
    return TokenSelf(
        account.id,
        workspace_id,
        account.wrapped_private_keys or b"",
        account.encryption_public,
        account.signing_public,
        tuple(sorted(scopes, key=lambda s: (s[0] or "", s[1] or ""))),
        _expiry(call, token),
    )


def _expiry(call: Call, token: str) -> str | None:
    expires_at = call.session.scalar(
        select(SessionToken.expires_at).where(
            SessionToken.token_hash == credentials.token_hash(token)
        )
    )
    return aware(expires_at).isoformat() if expires_at else None
