"""Which principals can still act, so that a new data key is sealed to them and to no one else.

A disabled account cannot (revoked token, removed member's disabled account). Neither can a
service account whose every token is revoked or past its expiry: a token is its only
credential, and an expired one is never extended (`token rotate` makes a new account). A
user whose sessions expired logs in again, so a user counts while it is not disabled. Sealing
a new key to a dead token would let whoever kept its secret, with a copy of the database, read
what was written after it stopped working.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import or_, select

from envkeep.store.models import Principal, SessionToken

if TYPE_CHECKING:
    from collections.abc import Iterable

    from envkeep.app.context import Call


def live(call: Call, principals: Iterable[Principal]) -> list[Principal]:
    """``principals`` less the disabled ones and the service accounts no token of which works
    now, in the order given."""
    enabled = [p for p in principals if p.disabled_at is None]
    services = [p.id for p in enabled if p.kind == "service"]
    if not services:
        return enabled
    now = call.clock()
    working = set(
        call.session.scalars(
            select(SessionToken.principal_id).where(
                SessionToken.principal_id.in_(services),
                SessionToken.revoked_at.is_(None),
                or_(SessionToken.expires_at.is_(None), SessionToken.expires_at > now),
            )
        )
    )
    return [p for p in enabled if p.kind != "service" or p.id in working]
