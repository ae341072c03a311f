"""Who reset an account's keys, and when: read off the reset invite it accepted
(`account_reset`), for the clients that pinned its old keys to say so as they refuse the new
ones. Only a reset made in one of the given workspaces (the caller's) is told."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from sqlalchemy import select

from envkeep.app.audit import shown_names
from envkeep.app.context import aware
from envkeep.store.models import Invite

if TYPE_CHECKING:
    from collections.abc import Collection

    from envkeep.app.context import Call
    from envkeep.app.views import PrincipalView


def with_last_reset(
    call: Call, view: PrincipalView, workspace_ids: Collection[str]
) -> PrincipalView:
    """``view`` with ``reset_by``/``reset_at`` of the latest reset of its keys made in one of
    ``workspace_ids``; as it was when there is none."""
    if view.kind != "user" or not workspace_ids:
        return view
    last = call.session.scalar(
        select(Invite)
        .where(
            Invite.resets.is_(True),
            Invite.accepted_by == view.id,
            Invite.workspace_id.in_(list(workspace_ids)),
        )
        .order_by(Invite.accepted_at.desc())
        .limit(1)
    )
    if last is None or last.accepted_at is None:
        return view
    by = shown_names(call, [last.created_by]).get(last.created_by or "", "an admin")
    return replace(view, reset_by=by, reset_at=aware(last.accepted_at).isoformat())
