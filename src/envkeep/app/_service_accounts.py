"""The steps service-account use cases share: find an account, check the caller may end it,
end it, add one. None of them appends audit: each public use case in ``tokens`` appends
exactly one event for the whole request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from envkeep.app.authz import may_list, require_member, require_role
from envkeep.app.policy import Binding, Role, Target
from envkeep.app.principal_labels import account_name, retired_name
from envkeep.app.share_store import store_shares
from envkeep.core.errors import AlreadyExistsError, NotFoundError, UsageError
from envkeep.store.models import EndedRole, Environment, Principal, RoleBinding, SessionToken

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence
    from datetime import datetime

    from envkeep.app.context import Call
    from envkeep.app.principal_labels import Retired
    from envkeep.app.tokens import AccountKeys


def check_label(label: str) -> None:
    if not label or len(label) > 100 or ":" in label:
        raise UsageError("a token name needs 1 to 100 characters and no ':'")


def find_account(call: Call, workspace_id: str, label: str) -> tuple[Principal, list[RoleBinding]]:
    """The token's account and its roles in the workspace. A stranger to the workspace is
    refused before any lookup, so it learns nothing; a member who may not see the token (it
    is not in their `token list`: `may_see_token`) is answered as for a token that does not
    exist, so its name cannot be probed."""
    mine = require_member(call.fetch, call.actor.principal_id, workspace_id)
    account = call.session.scalar(
        select(Principal).where(Principal.name == account_name(workspace_id, label))
    )
    bindings = [] if account is None else _roles_of(call, account, workspace_id)
    seen = [target_of(b) for b in bindings]
    if account is not None and account.disabled_at is not None and not bindings:
        ended = ended_roles(call, [account.id]).get(account.id, [])
        seen = [target_of(e) for e in ended]  # seen where it was live
    if account is None or not may_see_token(call, workspace_id, mine, account, seen):
        raise NotFoundError(f"no token named '{label}'", hint="see them with: envkeep token list")
    return account, bindings


def _roles_of(call: Call, account: Principal, workspace_id: str) -> list[RoleBinding]:
    return list(
        call.session.scalars(
            select(RoleBinding).where(
                RoleBinding.principal_id == account.id, RoleBinding.workspace_id == workspace_id
            )
        )
    )


def ended_roles(call: Call, account_ids: Collection[str]) -> dict[str, list[EndedRole]]:
    """The roles each of these revoked accounts held when it ended (`token_cascade`), by
    account id; shown only: nothing that decides access reads them."""
    ended: dict[str, list[EndedRole]] = {}
    if account_ids:
        query = select(EndedRole).where(EndedRole.principal_id.in_(account_ids))
        for role in call.session.scalars(query.order_by(EndedRole.id)):
            ended.setdefault(role.principal_id, []).append(role)
    return ended


def may_see_token(
    call: Call, workspace_id: str, mine: list[Binding], account: Principal, held: Sequence[Target]
) -> bool:
    """Whether the caller sees a token in `token list` (``mine``: its bindings, ``held``:
    where the token holds a role): a reader of the workspace sees every one; another member
    those with a role where it reads (a revoked one: where it read when it ended), and those it
    made."""
    if may_list(mine, Target(workspace_id)):
        return True
    if account.created_by is not None and account.created_by == call.actor.principal_id:
        return True
    return any(may_list(mine, target) for target in held)


def require_admin_over(call: Call, workspace_id: str, bindings: Sequence[RoleBinding]) -> None:
    """Admin wherever the account holds a role (a workspace admin for one with no role left:
    deny by default, not allow because no binding asked for a check)."""
    if not bindings:
        require_role(call, Target(workspace_id), Role.ADMIN)
    for binding in bindings:
        require_role(call, target_of(binding), Role.ADMIN)


def target_of(binding: RoleBinding | EndedRole) -> Target:
    return Target(binding.workspace_id, binding.project_id, binding.environment_id)


def retire_name(
    call: Call, account: Principal, workspace_id: str, label: str, why: Retired
) -> None:
    """Free an account's name for a newer account (its successor in a rotation, or a new token
    of the name once it was revoked), saying which in the name it takes; the row stays, for
    audit and for the shares it was given."""
    account.name = retired_name(workspace_id, label, account.id, why)
    call.session.flush()


def hand_over(call: Call, replaced_id: str, successor_id: str) -> None:
    """A rotated account's successor takes its place as the creator of the tokens it made and
    the giver of the roles it gave, which live on its rights (`token_cascade`)."""
    call.session.execute(
        update(Principal).where(Principal.created_by == replaced_id).values(created_by=successor_id)
    )
    call.session.execute(
        update(RoleBinding)
        .where(RoleBinding.created_by == replaced_id)
        .values(created_by=successor_id)
    )
    call.session.flush()


def lifetime_of(call: Call, account: Principal) -> datetime | None:
    """When a successor of ``account`` created now expires: after the same lifetime as the
    account's token had, or never when it had none."""
    token = call.session.scalar(
        select(SessionToken)
        .where(SessionToken.principal_id == account.id, SessionToken.kind == "token")
        .order_by(SessionToken.created_at.desc())
        .limit(1)
    )
    if token is None or token.expires_at is None:
        return None
    return call.clock() + (token.expires_at - token.created_at)


@dataclass(frozen=True)
class Grant:
    """A role a new account gets, and who granted it (kept when a rotation carries it over)."""

    target: Target
    role: Role
    granted_by: str | None


def add_account(
    call: Call,
    *,
    grants: Sequence[Grant],
    label: str,
    keys: AccountKeys,
    envs: Sequence[Environment],
    created_by: str | None,
) -> None:
    """The account (made by ``created_by``, on whose rights it lives), a binding for each of
    ``grants`` (one workspace), its token and its shares of ``envs``."""
    check_label(label)
    workspace_id = grants[0].target.workspace_id
    name = account_name(workspace_id, label)
    holder = call.session.scalar(select(Principal).where(Principal.name == name))
    if holder is not None and holder.disabled_at is not None:
        retire_name(call, holder, workspace_id, label, "revoked")  # a new token takes its name
    elif holder is not None:
        raise AlreadyExistsError(
            f"a token named '{label}' exists",
            hint=f"pick another name, or revoke it first (envkeep token revoke {label})",
        )
    if call.session.get(Principal, keys.principal_id) is not None:  # ids are the client's
        raise AlreadyExistsError("that account id is taken", hint="run the command again")
    now = call.clock()
    call.session.add(
        Principal(
            id=keys.principal_id,
            kind="service",
            name=name,
            encryption_public=keys.encryption_public,
            signing_public=keys.signing_public,
            wrapped_private_keys=keys.wrapped_private_keys,
            created_at=now,
            created_by=created_by,
        )
    )
    call.session.flush()
    call.session.add_all(
        RoleBinding(
            id=call.new_id(),
            principal_id=keys.principal_id,
            workspace_id=workspace_id,
            project_id=grant.target.project_id,
            environment_id=grant.target.environment_id,
            role=str(grant.role),
            created_at=now,
            created_by=grant.granted_by,
        )
        for grant in grants
    )
    call.session.add(
        SessionToken(
            id=call.new_id(),
            principal_id=keys.principal_id,
            token_hash=keys.token_hash,
            kind="token",
            label=label,
            created_at=now,
            expires_at=keys.expires_at,
        )
    )
    call.session.flush()
    store_shares(call, keys.principal_id, envs, keys.shares)
