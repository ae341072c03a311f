"""An environment's current secrets, kept between snapshot reads.

Every client reads its environments all the time, and the secrets (a join over thousands of
rows, then a view per row) are the bulk of a read, while they change only when a write does.
A read still runs every check inside its own transaction — authentication, authorisation, the
environment's revision, the services, the reader's key shares, the audit event — and takes
the secrets from here when the key it read in that transaction is already present.

What decides an environment's secrets, and so makes the key:

- its revision: every write of a secret (``writes.apply_writes``) raises it in the same
  transaction, key rotations included;
- the time it was created: ids are chosen by clients, so an environment deleted and created
  again under the same id starts again at revision 0 with other secrets;
- the ids of every service of the project: removing a service deletes its variables in each
  environment (a cascade) without a new revision;
- which scopes the reader asked for.

Only transactions that write no secrets fill it, and only where one transaction sees one
consistent state of the database (SQLite: BEGIN IMMEDIATE; PostgreSQL's READ COMMITTED lets
two statements of one transaction see different commits, so the server does not use it there).
The cache holds ciphertext only, and one process's copy is right for every other process too:
the key is read from the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from envkeep.app.recent import Recent
from envkeep.app.views import SecretView

DEFAULT_ENTRIES = 256
DEFAULT_BUDGET = 128 * 1024 * 1024  # bytes, as `weigh` counts them
_PER_SECRET = 700  # the two views' objects, their ids, scope, author and time, roughly


@dataclass(frozen=True)
class SecretsKey:
    """What decides the secrets of one snapshot read (see the module's docstring)."""

    environment_id: str
    created_at: str
    revision: int
    key_version: int
    services: tuple[str, ...]
    scopes: frozenset[str] | None


class SecretsCache(Recent[SecretsKey, tuple[SecretView, ...]]):
    """The last ``entries`` secrets tuples read, by key; safe to share between threads.

    A hit hands back the very tuple stored, so a transport may keep its rendering of that
    tuple beside it (``api.snapshot_json`` does).
    """

    def __init__(self, entries: int = DEFAULT_ENTRIES, budget: int = DEFAULT_BUDGET) -> None:
        super().__init__(entries, budget=budget, weigh=weigh)

    def keep(self, key: SecretsKey, secrets: tuple[SecretView, ...]) -> None:
        """Store ``secrets`` under ``key``, forgetting the environment's earlier states: each
        holds every secret of the environment, and a read never asks for one again."""
        self.put(key, secrets, replaces=lambda kept, _secrets: superseded(kept, key))


def weigh(secrets: tuple[SecretView, ...]) -> int:
    """About how many bytes ``secrets`` hold: their ciphertexts, indexes and signatures, and a
    fixed share for each one's objects."""
    return sum(
        _PER_SECRET
        + len(s.name_index)
        + len(s.current.name_ct)
        + len(s.current.value_ct or b"")
        + len(s.current.signature)
        for s in secrets
    )


def superseded(kept: SecretsKey, by: SecretsKey) -> bool:
    """Whether the entry ``kept`` can no longer be read once ``by`` was: the same environment
    at an earlier revision (a write raises it, and it never goes back), one created at another
    time (deleted and made again), or the same revision with other services (one removed)."""
    if kept.environment_id != by.environment_id:
        return False
    if kept.created_at != by.created_at or kept.revision < by.revision:
        return True
    return kept.revision == by.revision and kept.services != by.services
