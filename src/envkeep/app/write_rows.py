"""The rows a batch of writes touches, read and written a statement per kind, not per write.

A key rotation rewrites every variable of an environment (3,600 of them: 26,000 statements, a
round trip each on PostgreSQL, 6 s of a 1.4 s request on SQLite); an import of thousands of
variables wrote as many. The batch's rows are now read in chunks of ``CHUNK`` writes and
written by three ``executemany`` statements (psycopg pipelines them: one round trip).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from envkeep.core.errors import ConflictError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from envkeep.app.context import Call
    from envkeep.app.views import SecretWrite

# Writes per read of their rows: two parameters each, well under SQLite's 32,766.
CHUNK = 500


@dataclass(frozen=True)
class StoredRows:
    """The rows a batch may touch: by (scope, name index) in its environment, and every id
    held anywhere that a write names (a new variable may not take one)."""

    by_key: dict[tuple[str, bytes], tuple[str, int]]
    ids: frozenset[str]


def stored_rows(
    call: Call, env_id: str, writes: Sequence[SecretWrite], *, lock: bool
) -> StoredRows:
    """Read (and with ``lock``, lock until the transaction ends) the rows ``writes`` touch."""
    by_key: dict[tuple[str, bytes], tuple[str, int]] = {}
    ids: set[str] = set()
    for start in range(0, len(writes), CHUNK):
        chunk = writes[start : start + CHUNK]
        sql, params = _find_rows(env_id, chunk, lock=lock)
        for secret_id, version, environment_id, scope, index in call.fetch(sql, params):
            ids.add(secret_id)
            if environment_id == env_id:
                by_key[(scope, bytes(index))] = (secret_id, version)
    return StoredRows(by_key, frozenset(ids))


def _find_rows(
    env_id: str, writes: Sequence[SecretWrite], *, lock: bool
) -> tuple[str, dict[str, Any]]:
    # Each index searched once per value: (environment, scope, name index) and the id. The
    # scope is named in each lookup (one term per scope the batch writes): without it only
    # the environment led the unique index, and every write read every row of its
    # environment (3,000 variables: 3 ms a write on SQLite, growing with the environment).
    params: dict[str, Any] = {"env": env_id}
    by_scope: dict[str, list[str]] = {}
    ids = []
    for n, write in enumerate(writes):
        params[f"x{n}"], params[f"i{n}"] = write.name_index, write.secret_id
        by_scope.setdefault(write.scope, []).append(f":x{n}")
        ids.append(f":i{n}")
    terms = []
    for s, (scope, indexes) in enumerate(by_scope.items()):
        params[f"s{s}"] = scope
        terms.append(
            f"(environment_id = :env AND scope = :s{s} AND name_index IN ({', '.join(indexes)}))"
        )
    # Only placeholders are joined into the statement; every value is a parameter.
    sql = (
        "SELECT id, current_version, environment_id, scope, name_index FROM secrets"  # noqa: S608
        f" WHERE {' OR '.join(terms)} OR id IN ({', '.join(ids)})"
    )
    return (sql + " FOR UPDATE" if lock else sql), params


def checked_row(write: SecretWrite, stored: StoredRows) -> bool:
    """Whether ``write`` updates a stored variable (else it makes one); a conflict when the
    variable changed since its author read it, or another variable holds its id."""
    secret_id, current = stored.by_key.get((write.scope, write.name_index), (None, 0))
    if current != write.expected_version or (
        secret_id is not None and secret_id != write.secret_id
    ):
        raise ConflictError(
            f"a variable changed since you read it (you saw version {write.expected_version},"
            f" the store has version {current})",
            hint="read it again and retry; nothing was written",
        )
    if secret_id is None and write.secret_id in stored.ids:
        raise ConflictError("that secret id is taken; retry the command")
    return secret_id is not None


INSERT_ROW = (
    "INSERT INTO secrets (id, environment_id, scope, service_id, name_index, current_version,"
    " deleted, created_at, updated_at)"
    " VALUES (:id, :env, :scope, :service, :index, :version, :deleted, :made, :made)"
)
UPDATE_ROW = (
    "UPDATE secrets SET current_version = :version, deleted = :deleted, updated_at = :now"
    " WHERE id = :id"
)
INSERT_VERSION = (
    "INSERT INTO secret_versions (secret_id, version, key_version, name_ct, value_ct,"
    " author_id, signature, created_at)"
    " VALUES (:id, :version, :key_version, :name_ct, :value_ct, :author, :signature, :now)"
)
