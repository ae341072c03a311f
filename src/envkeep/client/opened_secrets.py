"""What an opened environment gives out of its secrets: a variable decrypted at its current
version, or a secret that did not open (`vault.OpenEnvironment`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envkeep.app.views import SecretView


@dataclass(frozen=True)
class Variable:
    """One decrypted variable at its current version."""

    name: str
    value: str = field(repr=False)
    scope: str  # "shared" or a service name
    scope_key: str  # the stored scope: "shared" or "service:<service id>"
    secret_id: str
    version: int
    updated_at: str
    author: str  # as `history` and `audit` show them: a token as ``token NAME``


@dataclass(frozen=True)
class DamagedSecret:
    """A secret whose current version does not verify or open under a key the reader holds
    (a client that wrote it wrongly, a writer who sent garbage, or a store altered: its name is
    unknown, and a key rotation deletes it only when told to), or one that verified and opened
    but is filed under another name index than its name's (the index is not signed: a store
    altered; a key rotation files it again under its own)."""

    secret: SecretView
    author: str  # the version's author as `history` shows them (a token as ``token NAME``; "?")
    reason: str  # the integrity error's own words
    opened: tuple[str, str | None] | None = None  # (name, value) when only the index was wrong
    principal: str = "?"  # the author's stored name, as `audit --principal` takes it

    @property
    def readable(self) -> bool:
        """Whether its name and value are known (only its index was wrong)."""
        return self.opened is not None
