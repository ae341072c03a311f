"""A member put straight into an app-level test's database (`store`, `owner` fixtures): a user
principal with placeholder keys, and a role in the owner's workspace, for tests whose subject
is what the app does with members, not how they join."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from envkeep.store.models import Principal, RoleBinding

if TYPE_CHECKING:
    from envkeep.app.policy import Role
    from tests.conftest import Owner, Store


def add_member(
    store: Store, owner: Owner, principal_id: str, role: Role | None, *, name: str | None = None
) -> None:
    """``principal_id`` (named ``name``, else ``ID@x``) holding ``role`` across the owner's
    workspace; with ``role`` None, an account holding no role there."""
    with Session(store.engine) as session, session.begin():
        now = datetime.now(UTC)
        session.add(
            Principal(
                id=principal_id,
                kind="user",
                name=name or f"{principal_id}@x",
                encryption_public=b"e" * 32,
                signing_public=b"s" * 32,
                created_at=now,
            )
        )
        session.flush()
        if role is not None:
            session.add(
                RoleBinding(
                    id=str(uuid.uuid4()),  # a principal id may be a UUID: no room for more
                    principal_id=principal_id,
                    workspace_id=owner.workspace_id,
                    role=str(role),
                    created_at=now,
                )
            )
