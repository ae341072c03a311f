"""The workspace a login answers with: the one a client works in until told another.

An account in several workspaces has one of them as its default (`envkeep login` saves it,
and later commands use it until `envkeep workspace use` or `join` changes it). It is the
workspace of the account's oldest role binding, ties by the binding's id: the one it joined
(or founded) first, which a later join never changes. It was the first binding a ``LIMIT 1``
returned, in no stated order (on SQLite by the index on workspace id, on PostgreSQL by where
the row happened to lie), so two logins to two servers of one database could differ.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from envkeep.store.models import RoleBinding

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def home_workspace(session: Session, principal_id: str) -> str | None:
    """The workspace of the account's oldest role binding (ties: the smaller binding id);
    None for an account holding no role."""
    oldest = (
        select(RoleBinding.workspace_id)
        .where(RoleBinding.principal_id == principal_id)
        .order_by(RoleBinding.created_at, RoleBinding.id)
        .limit(1)
    )
    return session.scalar(oldest)
