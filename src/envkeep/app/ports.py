"""The small interfaces use cases depend on, free of any database library.

``Fetch`` runs one read-only SQL statement with named parameters (``:name``) and returns rows
as tuples. SQLAlchemy sessions and stdlib sqlite3 connections both provide it, which lets the
embedded store's hot read path (``envkeep run``) skip importing SQLAlchemy while running the
very same queries and the same authorisation check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


class Fetch(Protocol):
    def __call__(self, sql: str, params: Mapping[str, Any]) -> Sequence[Sequence[Any]]: ...


@dataclass(frozen=True)
class Actor:
    """The principal a call acts for, with what the audit trail records about the request."""

    principal_id: str
    request_id: str | None = None
    ip: str | None = None
    # The client's own word for the command that sent the request (`Envkeep-Command`, as
    # `api/client_command` takes it): read events say which command read (`service add`).
    command: str | None = None
