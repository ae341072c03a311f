"""A principal's roles change one transaction at a time (PostgreSQL; SQLite serialises every
writer already).

A check of what a principal holds and the change that depends on it are two statements; at
READ COMMITTED another transaction can commit between them. `workspaces.create_workspace`
refuses a user holding no role anywhere: a removal of their last role that committed between
its check and its insert let the creation through. A join with a reset code and a second reset
of the same account each read the account voided, then both acted on it. So every change that
takes or gives an account its roles or keys locks the account's row before it reads them:
`members.remove_member` and `revoke_role` (the removed principal), `account_reset` (the reset
account), `create_workspace` (its caller), `join_workspace` and a join with a reset code
(`accounts.accept_invite`, the joining account).

Lock order (docs/design.md, "One lock order for accounts"): a workspace's role-change lock
(`role_lock`, role changes only), then the principal's row, then invite rows (a join claims
one, a removal or a reset withdraws them), then the workspace row (the audit append, last). A
join takes the principal's row before it claims its invite, so a removal holding the row and
withdrawing that invite never waits on the join the other way round.

``FOR NO KEY UPDATE``: two of these wait on each other, but a row referring to the principal
(a role binding, a session, an invite it makes) can still be inserted meanwhile: its foreign
key takes only a key-share lock."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from envkeep.store.models import Principal

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def lock_principal(session: Session, principal_id: str) -> Principal | None:
    """Wait for any other change to the principal's roles or keys to end, hold its row to the
    end of this transaction, and return it as that change committed it (None: no such one)."""
    return session.scalar(
        select(Principal)
        .where(Principal.id == principal_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
