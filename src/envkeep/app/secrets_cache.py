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

Only transactions that write no secrets fill it. On SQLite one transaction sees one state
of the database (BEGIN IMMEDIATE). PostgreSQL's READ COMMITTED lets two statements of one
transaction see different commits, so there (``recheck``) a read keeps the secrets it read only
when the key, read again in one statement after them, is the one it read before them: every
change of an environment's secrets changes its key in the same commit (a revision only rises),
so an equal key means no such commit came between the two reads of it. A read whose key
changed reads again holding the environment's row FOR SHARE (``reads.read_environment``), which
no writer of its secrets passes before that transaction ends.
The cache holds ciphertext only, and one process's copy is right for every other process too:
the key is read from the database.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from envkeep.app.recent import Recent
from envkeep.app.views import SecretView

if TYPE_CHECKING:
    from envkeep.app.ports import Fetch

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

    def __init__(
        self, entries: int = DEFAULT_ENTRIES, budget: int = DEFAULT_BUDGET, *, recheck: bool = False
    ) -> None:
        super().__init__(entries, budget=budget, weigh=weigh)
        # PostgreSQL: a read's statements may see different commits, so what a transaction
        # read is kept only when its key, read again after the secrets, has not changed.
        self.recheck = recheck

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


def key_now(fetch: Fetch, key: SecretsKey) -> SecretsKey | None:
    """``key`` as the database has it now, read in one statement (`secrets_cache`: recheck);
    None once the environment is gone."""
    rows = fetch(_KEY_NOW, {"env": key.environment_id})
    if not rows:
        return None
    created, revision, key_version = rows[0][:3]
    services = tuple(r[3] for r in rows if r[3] is not None)
    return replace(
        key, created_at=str(created), revision=revision, key_version=key_version, services=services
    )


_KEY_NOW = (
    "SELECT e.created_at, e.revision, e.key_version, s.id FROM environments e"
    " LEFT JOIN services s ON s.project_id = e.project_id WHERE e.id = :env ORDER BY s.name"
)
