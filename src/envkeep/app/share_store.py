"""Storing the data-key shares a caller's client sealed (a grant's, a new token's, a new
environment's): the server keeps them, never opens them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from envkeep.core.errors import InputError
from envkeep.store.models import DataKeyShare, Environment

if TYPE_CHECKING:
    from collections.abc import Sequence

    from envkeep.app.context import Call


@dataclass(frozen=True)
class NewShare:
    """A data key sealed by the caller's client to one recipient."""

    environment_id: str
    key_version: int
    recipient_id: str
    sealed: bytes


def store_shares(
    call: Call, recipient: str, envs: Sequence[Environment], shares: Sequence[NewShare]
) -> int:
    """Store ``recipient``'s share of each environment at its current key version; every one
    must be there already or be given. Return how many were stored (not those it held)."""
    by_env = {(s.environment_id, s.key_version): s for s in shares if s.recipient_id == recipient}
    stored = 0
    for env in envs:
        have = call.session.scalar(
            select(DataKeyShare).where(
                DataKeyShare.environment_id == env.id,
                DataKeyShare.key_version == env.key_version,
                DataKeyShare.recipient_id == recipient,
            )
        )
        share = by_env.get((env.id, env.key_version))
        if have is None and share is None:
            raise InputError(
                f"the grant lacks a key share of environment '{env.name}'",
                hint="run the command again (the client seals one per environment; an envkeep"
                " older than the server may seal too few: upgrade it)",
            )
        if have is None and share is not None:
            call.session.add(
                DataKeyShare(
                    id=call.new_id(),
                    environment_id=env.id,
                    key_version=env.key_version,
                    recipient_id=recipient,
                    sharer_id=call.actor.principal_id,
                    sealed=share.sealed,
                    created_at=call.clock(),
                )
            )
            stored += 1
    return stored
