"""What every use case receives: the database session, who acts, a clock and an id source."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from envkeep.app.ports import Actor

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from sqlalchemy.orm import Session

__all__ = ["Actor", "Call", "new_uuid", "utc_now"]


def utc_now() -> datetime:
    """The real clock."""
    return datetime.now(UTC)


def new_uuid() -> str:
    """A random UUID4 string."""
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Call:
    """One use-case invocation: the transaction it runs in and its dependencies."""

    session: Session
    actor: Actor
    clock: Callable[[], datetime] = field(default=utc_now)
    new_id: Callable[[], str] = field(default=new_uuid)

    def fetch(self, sql: str, params: Mapping[str, Any]) -> Sequence[Sequence[Any]]:
        """The session as a ``ports.Fetch``."""
        return [tuple(row) for row in self.session.execute(text(sql), dict(params))]
