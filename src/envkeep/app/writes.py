"""Writing variables: a batch of new versions, all or nothing, each against the version its
author last saw (optimistic concurrency: a stale write is a conflict and nothing is written).

Every client writes all the time, so the statements go to the driver as they are (``Call.fetch``
and ``Call.execute``): no ORM unit of work per request or per row.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from envkeep.app.audit_append import append_event
from envkeep.app.authz import check_role, require_member
from envkeep.app.context import sqlite_time
from envkeep.app.policy import Role, Target
from envkeep.app.read_lookups import find_environment
from envkeep.app.reads import SHARED_SCOPE, service_scope
from envkeep.app.write_rows import (
    INSERT_ROW,
    INSERT_VERSION,
    UPDATE_ROW,
    checked_row,
    stored_rows,
)
from envkeep.core.errors import (
    ConfirmationRequired,
    ConflictError,
    EnvironmentNotFound,
    UsageError,
)
from envkeep.core.limits import (
    ENVELOPE_OVERHEAD,
    MAX_NAME_BYTES,
    MAX_NAME_ENVELOPE,
    MAX_VALUE_BYTES,
    MAX_VALUE_ENVELOPE,
    NAME_INDEX_BYTES,
    SIGNATURE_BYTES,
)
from envkeep.core.timestamps import utc_second

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from datetime import datetime

    from envkeep.app.context import Call
    from envkeep.app.views import EnvironmentView, SecretWrite
    from envkeep.store.models import Environment


@dataclass(frozen=True)
class _Target:
    """The environment a batch goes to, as far as the batch needs to know it."""

    id: str
    project_id: str
    key_version: int


def _scope_services(
    call: Call, env: _Target, writes: Sequence[SecretWrite]
) -> dict[str, str | None]:
    """The scopes a batch may name, with their service ids (the project's services are read
    only when the batch names a service's scope)."""
    scopes: dict[str, str | None] = {SHARED_SCOPE: None}
    if all(w.scope == SHARED_SCOPE for w in writes):
        return scopes
    rows = call.fetch("SELECT id FROM services WHERE project_id = :p", {"p": env.project_id})
    scopes.update({service_scope(r[0]): r[0] for r in rows})
    return scopes


def _check_batch(writes: Sequence[SecretWrite], env: _Target) -> None:
    if not writes:
        raise UsageError("nothing to write")
    seen: set[tuple[str, bytes]] = set()
    ids: set[str] = set()
    for write in writes:
        if write.key_version != env.key_version:
            raise ConflictError(
                "the environment's data key changed since you read it",
                hint="run the command again",
            )
        key = (write.scope, write.name_index)
        if key in seen:
            raise UsageError("the same variable appears twice in one batch")
        if write.secret_id in ids:  # the second would take the id the first makes
            raise ConflictError("that secret id is taken; retry the command")
        seen.add(key)
        ids.add(write.secret_id)


@dataclass(frozen=True)
class _Dialect:
    """What a batch's rows need to know of the database, worked out once per batch."""

    lock: bool
    stamp: Callable[[datetime], object]

    @classmethod
    @lru_cache(maxsize=8)
    def of(cls, dialect: str) -> _Dialect:
        """By the dialect's name (``sqlite``, ``postgresql``)."""
        # Writers of one secret queue on its row (PostgreSQL; SQLite serialises writers).
        sqlite = dialect == "sqlite"
        return cls(not sqlite, sqlite_time if sqlite else _as_is)


def _rows(
    call: Call, env: _Target, writes: Sequence[SecretWrite], scopes: Mapping[str, str | None]
) -> tuple[list[dict[str, object]], list[dict[str, object]], datetime]:
    """The batch's rows, checked against the store: those that update a variable, and those
    that make one (each row also makes a version); and the time of its versions."""
    db = _Dialect.of(call.session.get_bind().dialect.name)
    stored = stored_rows(call, env.id, writes, lock=db.lock)
    moment = call.clock()
    stamp = db.stamp(moment)
    updates: list[dict[str, object]] = []
    inserts: list[dict[str, object]] = []
    for write in writes:
        exists = checked_row(write, stored)
        # A new variable's row is made a microsecond after the one before it in the batch:
        # reads list variables by when they were made (then by random id), and the order a
        # batch gave them (`set A=${B} B=${A}`) is the order references resolve and a cycle is
        # named in. Its version keeps the batch's one time (`rollback --to-time`); an updated
        # row keeps the time it was made (UPDATE_ROW takes no ``made``).
        made = stamp if exists else db.stamp(moment + timedelta(microseconds=len(inserts)))
        (updates if exists else inserts).append(
            {
                "id": write.secret_id,
                "env": env.id,
                "scope": write.scope,
                "service": scopes[write.scope],
                "index": write.name_index,
                "version": write.version,
                "key_version": write.key_version,
                "name_ct": write.name_ct,
                "value_ct": write.value_ct,
                "author": call.actor.principal_id,
                "signature": write.signature,
                "deleted": write.value_ct is None,
                "now": stamp,
                "made": made,
            }
        )
    return updates, inserts, moment


def _write_rows(
    call: Call, updates: list[dict[str, object]], inserts: list[dict[str, object]]
) -> None:
    # Driver SQL, a statement per kind of change: a batch of thousands of writes should pay
    # neither the ORM's unit of work nor a round trip per row.
    try:
        call.execute_many(UPDATE_ROW, updates)
        call.execute_many(INSERT_ROW, inserts)
        call.execute_many(INSERT_VERSION, [*updates, *inserts])
    except Exception as error:
        if not _duplicate(error):
            raise
        if _foreign_key(error):  # a scope's service removed by a commit since it was checked
            raise _service_not_in_project(None) from None
        # Another transaction created the same secret first.
        raise ConflictError(
            "a variable was created by someone else at the same time; nothing was written",
            hint="read it again and retry",
        ) from None


def _as_is(moment: datetime) -> object:
    """A time as the driver takes it (PostgreSQL's, which keeps the zone)."""
    return moment


def _duplicate(error: Exception) -> bool:
    """Whether ``error`` is SQLAlchemy's unique-key violation (looked up on this error path
    only: the embedded store writes without loading SQLAlchemy)."""
    from sqlalchemy.exc import IntegrityError

    return isinstance(error, IntegrityError)


def _foreign_key(error: Exception) -> bool:
    """Whether the unique-key or foreign-key violation ``error`` is of a foreign key (a row it
    names is gone): PostgreSQL's SQLSTATE 23503, SQLite's extended code."""
    cause = getattr(error, "orig", None)
    return (
        getattr(cause, "sqlstate", None) == "23503"
        or getattr(cause, "sqlite_errorname", None) == "SQLITE_CONSTRAINT_FOREIGNKEY"
    )


def _apply_batch(call: Call, env: _Target, writes: Sequence[SecretWrite]) -> datetime:
    """Store the batch; the time of its versions."""
    scopes = _scope_services(call, env, writes)
    if any(write.scope not in scopes for write in writes):
        rows = call.fetch("SELECT name FROM projects WHERE id = :p", {"p": env.project_id})
        raise _service_not_in_project(rows[0][0] if rows else None)
    _check_batch(writes, env)
    updates, inserts, moment = _rows(call, env, writes, scopes)
    _write_rows(call, updates, inserts)
    return moment


def _service_not_in_project(name: str | None) -> UsageError:
    """A write to a service scope the project (``name``, read on the error path only; None
    when the transaction can read no more) does not have: removed while the command ran."""
    project = f"project '{name}'" if name else "its project"
    return UsageError(
        f"a write names a service that {project} does not have (removed meanwhile?);"
        " nothing was written",
        hint="see its services with: envkeep service list, and run the command again",
    )


def apply_writes(call: Call, env: Environment, writes: Sequence[SecretWrite]) -> None:
    """Apply a checked batch to an environment; the caller has authorised it."""
    call.session.flush()  # what the ORM holds goes first: the rows below are written directly
    _apply_batch(call, _Target(env.id, env.project_id, env.key_version), writes)
    env.revision += 1


@dataclass(frozen=True)
class Written:
    """A batch stored: the environment's new revision, and its versions' time as a snapshot
    shows it (a client keeping a copy of the environment adds the batch to it)."""

    revision: int
    at: str


def write_batch(
    call: Call,
    *,
    workspace_id: str,
    project: str,
    environment: str,
    writes: Sequence[SecretWrite],
    confirmed: bool = False,
    expected_revision: int | None = None,
) -> Written:
    """Store a batch of new versions (write access): the environment's new revision and the
    versions' time (`Written`).

    A protected environment takes writes only when the caller confirmed them (``--yes``).
    """
    bindings = require_member(call.fetch, call.actor.principal_id, workspace_id)
    found, env = find_environment(call.fetch, workspace_id, project, environment, bindings)
    named = f"environment {project}/{environment}"
    target = Target(workspace_id, found.id, env.id)
    check_role(bindings, target, Role.WRITE, named=named, fetch=call.fetch)
    env = _locked(call, env, project)
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
    check_sizes(writes)
    call.session.flush()  # a caller's pending ORM changes go first, as in apply_writes
    moment = _apply_batch(call, _Target(env.id, found.id, env.key_version), writes)
    call.execute(_NEXT_REVISION, {"id": env.id, "revision": env.revision + 1})
    _audit_batch(call, target, f"{project}/{environment}", writes)
    return Written(env.revision + 1, utc_second(moment))


_NEXT_REVISION = "UPDATE environments SET revision = :revision WHERE id = :id"
_LOCK_ENVIRONMENT = (
    "SELECT key_version, revision, protected FROM environments WHERE id = :id FOR UPDATE"
)


def _locked(call: Call, env: EnvironmentView, project: str) -> EnvironmentView:
    """``env`` as committed now, its row locked until the transaction ends (PostgreSQL).

    At READ COMMITTED the first read may predate a writer that committed since: two writers of
    one environment then raised its revision to the same number, and checked the key version
    and ``If-Match`` against a past state. Writers of one environment now queue on its row and
    read it again. SQLite serialises every writer already (``BEGIN IMMEDIATE``)."""
    if call.session.get_bind().dialect.name == "sqlite":
        return env
    rows = call.fetch(_LOCK_ENVIRONMENT, {"id": env.id})
    if not rows:  # deleted by a transaction that committed while this one waited
        raise _deleted_meanwhile(env.name, project)
    ((key_version, revision, protected),) = rows
    return replace(env, key_version=key_version, revision=revision, protected=bool(protected))


def lock_environment(call: Call, env: Environment, project: str) -> None:
    """``_locked`` for a use case holding the ORM's row (a key rotation): reloaded, locked."""
    if call.session.get_bind().dialect.name == "sqlite":
        return
    # Imported here: the embedded store writes without loading SQLAlchemy (``_duplicate``).
    from sqlalchemy import select

    from envkeep.store.models import Environment

    query = (
        select(Environment)
        .where(Environment.id == env.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if call.session.scalar(query) is None:
        raise _deleted_meanwhile(env.name, project)


def _deleted_meanwhile(name: str, project: str) -> EnvironmentNotFound:
    return EnvironmentNotFound(
        f"environment '{name}' of project '{project}' was deleted meanwhile; nothing was written",
        hint="envkeep env list shows the environments there are now",
    )


def check_sizes(writes: Sequence[SecretWrite], *, stored: Mapping[str, int] | None = None) -> None:
    """Refuse a new value larger than 64 KiB (``core.limits``), told by its envelope's size.
    ``stored``: for a key rotation, which re-encrypts values stored before the limit, the
    envelope sizes of the versions it replaces, by secret id: it may carry one as large."""
    for write in writes:
        _check_shape(write, rotation=stored is not None)
        if write.value_ct is None or len(write.value_ct) <= MAX_VALUE_ENVELOPE:
            continue
        if stored is not None and len(write.value_ct) <= stored.get(write.secret_id, 0):
            continue
        size = len(write.value_ct) - ENVELOPE_OVERHEAD
        raise UsageError(
            f"a value in this batch is {size:,} bytes; a value holds at most"
            f" {MAX_VALUE_BYTES:,} (64 KiB); nothing was written",
            hint="keep a large file where the service can read it, and its path in a"
            " variable (an envkeep client of this version refuses such a value itself)",
        )


def _check_shape(write: SecretWrite, *, rotation: bool) -> None:
    """Refuse a name index or signature larger than a client makes, and a name over 1 KiB
    but in a rotation (which carries names stored before the limit)."""
    if len(write.name_index) > NAME_INDEX_BYTES or len(write.signature) > SIGNATURE_BYTES:
        raise UsageError(
            f"a write in this batch has a name index of {len(write.name_index)} bytes and a"
            f" signature of {len(write.signature)} (an envkeep client makes {NAME_INDEX_BYTES}"
            f" and {SIGNATURE_BYTES}, no more); nothing was written",
            hint="write with the envkeep CLI, or build each write as docs/security.md says",
        )
    if not rotation and len(write.name_ct) > MAX_NAME_ENVELOPE:
        raise UsageError(
            f"a name in this batch is {len(write.name_ct) - ENVELOPE_OVERHEAD:,} bytes; a name"
            f" holds at most {MAX_NAME_BYTES:,}; nothing was written",
            hint="use a shorter name (an envkeep client of this version refuses such a name"
            " itself)",
        )


def stored_sizes(call: Call, writes: Sequence[SecretWrite]) -> dict[str, int]:
    """The envelope size of the current version of each secret ``writes`` replaces with a
    value over the limit (none: nothing to read)."""
    over = [w.secret_id for w in writes if w.value_ct and len(w.value_ct) > MAX_VALUE_ENVELOPE]
    sizes: dict[str, int] = {}
    for secret_id in over:
        rows = call.fetch(
            "SELECT length(v.value_ct) FROM secret_versions v JOIN secrets s"
            " ON s.id = v.secret_id AND v.version = s.current_version WHERE s.id = :id",
            {"id": secret_id},
        )
        if rows and rows[0][0] is not None:
            sizes[secret_id] = int(rows[0][0])
    return sizes


def _audit_batch(call: Call, where: Target, target: str, writes: Sequence[SecretWrite]) -> None:
    deleted = sum(1 for w in writes if w.value_ct is None)
    append_event(
        call,
        workspace_id=where.workspace_id,
        project_id=where.project_id,
        action="secrets.write",
        target=target,
        details={
            "written": len(writes) - deleted,
            "deleted": deleted,
            "secret_ids": sorted(w.secret_id for w in writes),
        },
    )
