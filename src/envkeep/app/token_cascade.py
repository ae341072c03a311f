"""Tokens live on the rights they were given (DESIGN §5: no privilege escalation).

A service account stays live only while

- its creator still holds a role in the workspace, and
- every role it holds is still held, at that scope and at least that high, by the principal
  that gave it (the creator for the role it was made with, the admin of a later
  `member grant` for another),

where what a token holds counts only when it rests, through such givers, on people's roles: two
tokens cannot keep each other alive. A use case that takes or lowers a role (member revoke and
remove, a grant that lowers one, token revoke) calls ``end_uncovered_tokens`` last, in its own
transaction: each token that fails the rule is revoked whole (disabled, its token ended, its
roles dropped), never trimmed, and the tokens it made or gave roles to follow. None of them is
a reader afterwards, so the key rotation that follows seals them nothing. Nothing here appends
audit: the calling use case names the ended tokens in its one event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from envkeep.app.policy import Binding, Role
from envkeep.app.principal_labels import account_name, token_label
from envkeep.app.token_grounding import grounded
from envkeep.store.models import EndedRole, Principal, RoleBinding, SessionToken

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from envkeep.app.context import Call


@dataclass(frozen=True)
class EndedTokens:
    """The tokens a change of roles ended, by name and by account id (a name is given again
    once its token is revoked: `audit --subject` follows the id), and the roles they held
    (whose environments' keys the caller's client rotates next)."""

    labels: tuple[str, ...] = ()
    bindings: tuple[Binding, ...] = ()
    ids: tuple[str, ...] = ()

    def details(self) -> dict[str, object]:
        """What the calling use case's audit event adds (nothing when none ended)."""
        if not self.labels:
            return {}
        return {"tokens_revoked": list(self.labels), "tokens_revoked_ids": list(self.ids)}


def end_account(call: Call, account: Principal, bindings: Sequence[RoleBinding]) -> None:
    """Disable the account, end its tokens and drop its roles, at once; the roles are kept as
    ended (`EndedRole`), for `token list` to say what the token could do."""
    now = call.clock()
    account.disabled_at = now
    for token in call.session.scalars(
        select(SessionToken).where(SessionToken.principal_id == account.id)
    ):
        token.revoked_at = now
    for binding in bindings:
        call.session.add(_ended(binding, now))
        call.session.delete(binding)
    call.session.flush()


def _ended(binding: RoleBinding, now: datetime) -> EndedRole:
    return EndedRole(
        id=binding.id,
        principal_id=binding.principal_id,
        workspace_id=binding.workspace_id,
        project_id=binding.project_id,
        environment_id=binding.environment_id,
        role=binding.role,
        ended_at=now,
    )


def end_uncovered_tokens(call: Call, workspace_id: str) -> EndedTokens:
    """Revoke every live token of the workspace that no longer lives on its givers' rights
    (module docstring), in the caller's transaction."""
    rows = call.session.execute(
        select(RoleBinding, Principal)
        .join(Principal, Principal.id == RoleBinding.principal_id)
        .where(RoleBinding.workspace_id == workspace_id, Principal.disabled_at.is_(None))
    ).all()
    accounts = list(
        call.session.scalars(
            select(Principal).where(
                Principal.kind == "service",
                Principal.name.startswith(account_name(workspace_id, "")),
                Principal.disabled_at.is_(None),
            )
        )
    )
    roles: dict[str, list[RoleBinding]] = {a.id: [] for a in accounts}
    people: dict[str, list[Binding]] = {}
    for binding, principal in rows:
        if principal.kind == "service":
            roles.setdefault(principal.id, []).append(binding)
        else:
            people.setdefault(principal.id, []).append(_policy(binding))
    tokens = {
        a.id: (a.created_by or "", [(_policy(b), b.created_by or "") for b in roles[a.id]])
        for a in accounts
    }
    live = grounded(people, tokens)
    ended = sorted((a for a in accounts if a.id not in live), key=lambda a: a.name)
    found = EndedTokens(
        tuple(token_label(a.name) or a.name for a in ended),
        tuple(_policy(b) for a in ended for b in roles[a.id]),
        tuple(a.id for a in ended),
    )
    for account in ended:
        end_account(call, account, roles[account.id])
    return found


def _policy(binding: RoleBinding) -> Binding:
    return Binding(
        Role.parse(binding.role), binding.workspace_id, binding.project_id, binding.environment_id
    )
