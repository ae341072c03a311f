"""Writing variables: a batch of new versions, all or nothing, each against the version its
author last saw (optimistic concurrency: a stale write is a conflict and nothing is written)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, select
from sqlalchemy.exc import IntegrityError

from envkeep.app._lookup import environment_by_name, project_by_name
from envkeep.app.audit import append_event
from envkeep.app.authz import require_role
from envkeep.app.context import session_execute
from envkeep.app.policy import Role, Target
from envkeep.app.reads import SHARED_SCOPE, service_scope
from envkeep.core.errors import ConfirmationRequired, ConflictError, UsageError
from envkeep.store.models import Environment, Service

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime

    from sqlalchemy import Dialect

    from envkeep.app.context import Call
    from envkeep.app.views import SecretWrite


def _scope_services(call: Call, env: Environment) -> dict[str, str | None]:
    rows = call.session.scalars(select(Service).where(Service.project_id == env.project_id))
    scopes: dict[str, str | None] = {SHARED_SCOPE: None}
    scopes.update({service_scope(s.id): s.id for s in rows})
    return scopes


def _check_batch(
    writes: Sequence[SecretWrite], env: Environment, scopes: dict[str, str | None]
) -> None:
    if not writes:
        raise UsageError("nothing to write")
    seen: set[tuple[str, bytes]] = set()
    for write in writes:
        if write.scope not in scopes:
            raise UsageError("a write names a scope that is not in this project")
        if write.key_version != env.key_version:
            raise ConflictError(
                "the environment's data key changed since you read it",
                hint="run the command again",
            )
        key = (write.scope, write.name_index)
        if key in seen:
            raise UsageError("the same variable appears twice in one batch")
        seen.add(key)


@dataclass(frozen=True)
class _Dialect:
    """What a batch's rows need to know of the database, worked out once per batch."""

    find_row: str
    stamp: Callable[[datetime], object]

    @classmethod
    def of(cls, dialect: Dialect) -> _Dialect:
        # Writers of one secret queue on its row (PostgreSQL; SQLite serialises writers).
        find = _FIND_ROW if dialect.name == "sqlite" else _FIND_ROW + " FOR UPDATE"
        return cls(find, _stamper(dialect))


def _apply(
    call: Call, env: Environment, write: SecretWrite, service_id: str | None, db: _Dialect
) -> None:
    # Driver SQL: a batch of thousands of writes should not pay the ORM's unit of work per row.
    stamp = db.stamp(call.clock())
    found = call.fetch(
        db.find_row, {"env": env.id, "scope": write.scope, "index": write.name_index}
    )
    secret_id, current = (found[0][0], found[0][1]) if found else (None, 0)
    if current != write.expected_version or (
        secret_id is not None and secret_id != write.secret_id
    ):
        raise ConflictError(
            f"a variable changed since you read it (you saw version {write.expected_version},"
            f" the store has version {current})",
            hint="read it again and retry; nothing was written",
        )
    if secret_id is None and call.fetch(_ID_TAKEN, {"id": write.secret_id}):
        raise ConflictError("that secret id is taken; retry the command")
    row = {
        "id": write.secret_id,
        "env": env.id,
        "scope": write.scope,
        "service": service_id,
        "index": write.name_index,
        "version": write.version,
        "key_version": write.key_version,
        "name_ct": write.name_ct,
        "value_ct": write.value_ct,
        "author": call.actor.principal_id,
        "signature": write.signature,
        "deleted": write.value_ct is None,
        "now": stamp,
    }
    try:
        session_execute(call.session, _UPDATE_ROW if secret_id else _INSERT_ROW, row)
        session_execute(call.session, _INSERT_VERSION, row)
    except IntegrityError:  # another transaction created the same secret first
        raise ConflictError(
            "a variable was created by someone else at the same time; nothing was written",
            hint="read it again and retry",
        ) from None


_FIND_ROW = (
    "SELECT id, current_version FROM secrets"
    " WHERE environment_id = :env AND scope = :scope AND name_index = :index"
)
_ID_TAKEN = "SELECT 1 FROM secrets WHERE id = :id"
_INSERT_ROW = (
    "INSERT INTO secrets (id, environment_id, scope, service_id, name_index, current_version,"
    " deleted, created_at, updated_at)"
    " VALUES (:id, :env, :scope, :service, :index, :version, :deleted, :now, :now)"
)
_UPDATE_ROW = (
    "UPDATE secrets SET current_version = :version, deleted = :deleted, updated_at = :now"
    " WHERE id = :id"
)
_INSERT_VERSION = (
    "INSERT INTO secret_versions (secret_id, version, key_version, name_ct, value_ct,"
    " author_id, signature, created_at)"
    " VALUES (:id, :version, :key_version, :name_ct, :value_ct, :author, :signature, :now)"
)


def _stamper(dialect: Dialect) -> Callable[[datetime], object]:
    """A time as the ORM would store it in a ``DateTime(timezone=True)`` column here."""
    process = DateTime(timezone=True).dialect_impl(dialect).bind_processor(dialect)
    return process if process is not None else (lambda moment: moment)


def apply_writes(call: Call, env: Environment, writes: Sequence[SecretWrite]) -> None:
    """Apply a checked batch to an environment; the caller has authorised it."""
    scopes = _scope_services(call, env)
    _check_batch(writes, env, scopes)
    call.session.flush()  # what the ORM holds goes first: the rows below are written directly
    db = _Dialect.of(call.session.connection().dialect)
    for write in writes:
        _apply(call, env, write, scopes[write.scope], db)
    env.revision += 1


def write_secrets(
    call: Call,
    *,
    workspace_id: str,
    project: str,
    environment: str,
    writes: Sequence[SecretWrite],
    confirmed: bool = False,
    expected_revision: int | None = None,
) -> int:
    """Store a batch of new versions (write access); return the environment's new revision.

    A protected environment takes writes only when the caller confirmed them (``--yes``).
    """
    found = project_by_name(call, workspace_id, project)
    env = environment_by_name(call, found, environment)
    require_role(call, Target(workspace_id, found.id, env.id), Role.WRITE)
    if env.protected and not confirmed:
        raise ConfirmationRequired(
            f"environment '{environment}' is protected",
            hint="confirm the change with --yes (or answer the prompt on a terminal)",
        )
    if expected_revision is not None and expected_revision != env.revision:
        raise ConflictError(
            f"'{environment}' changed since you read it (revision {expected_revision}, now"
            f" {env.revision}); nothing was written",
            hint="read it again and retry",
        )
    apply_writes(call, env, writes)
    deleted = sum(1 for w in writes if w.value_ct is None)
    append_event(
        call,
        workspace_id=workspace_id,
        action="secrets.write",
        target=f"{project}/{environment}",
        details={
            "written": len(writes) - deleted,
            "deleted": deleted,
            "secret_ids": sorted(w.secret_id for w in writes),
        },
    )
    call.session.flush()
    return env.revision
