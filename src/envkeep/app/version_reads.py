"""Reads of secrets' past versions: one secret's history, and the version each secret of a
scope held at a time (`rollback --to-time`). Ciphertext only, as every read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from envkeep.app._principal_keys import principal_keys
from envkeep.app.authz import authorize, check_role, require_member
from envkeep.app.policy import Role, Target
from envkeep.app.read_lookups import find_environment, reached_environment, reached_project
from envkeep.app.views import VersionView
from envkeep.core.errors import UsageError, VariableNotFound
from envkeep.core.timestamps import as_utc, utc_second

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from envkeep.app.ports import Actor, Fetch
    from envkeep.app.views import PrincipalView


def _version(row: Sequence[Any], secret_id: str, scope: str) -> VersionView:
    version, key_version, name_ct, value_ct, author_id, signature, created_at = row
    return VersionView(
        secret_id=secret_id,
        scope=scope,
        version=version,
        key_version=key_version,
        name_ct=bytes(name_ct),
        value_ct=None if value_ct is None else bytes(value_ct),
        author_id=author_id,
        signature=bytes(signature),
        created_at=utc_second(created_at),
    )


def secret_history(
    fetch: Fetch,
    actor: Actor,
    *,
    workspace_id: str,
    project: str,
    environment: str,
    secret_id: str,
) -> tuple[tuple[VersionView, ...], tuple[PrincipalView, ...]]:
    """Every version of one secret, oldest first, with their authors' public keys."""
    bindings = require_member(fetch, actor.principal_id, workspace_id)
    found = reached_project(fetch, workspace_id, project, bindings)
    env = reached_environment(fetch, found, environment, bindings)
    authorize(fetch, actor.principal_id, Target(workspace_id, found.id, env.id), Role.READ)
    owner = fetch(
        "SELECT scope FROM secrets WHERE id = :id AND environment_id = :env",
        {"id": secret_id, "env": env.id},
    )
    if not owner:
        raise VariableNotFound(f"no such variable in {project}/{environment}")
    rows = fetch(
        "SELECT version, key_version, name_ct, value_ct, author_id, signature, created_at"
        " FROM secret_versions WHERE secret_id = :id ORDER BY version",
        {"id": secret_id},
    )
    versions = tuple(_version(r, secret_id, owner[0][0]) for r in rows)
    return versions, principal_keys(fetch, {v.author_id for v in versions})


# Every version of one scope's secrets, without its ciphertext: the one each secret held at a
# time is picked from these, in Python (times compared as times, whether the database hands
# them back as SQLite's text or PostgreSQL's timestamps), and only those are read in full.
_SCOPE_VERSION_TIMES = (
    "SELECT v.id, v.secret_id, v.created_at FROM secret_versions v"
    " JOIN secrets s ON s.id = v.secret_id"
    " WHERE s.environment_id = :env AND s.scope = :scope ORDER BY v.secret_id, v.version"
)
_VERSION_ROWS = (
    "SELECT id, version, key_version, name_ct, value_ct, author_id, signature, created_at"
    " FROM secret_versions WHERE id IN ({rows})"
)
_ROWS_A_STATEMENT = 500  # bound parameters a statement: far under SQLite's and PostgreSQL's limits


def versions_at(
    fetch: Fetch,
    actor: Actor,
    *,
    workspace_id: str,
    project: str,
    environment: str,
    scope: str,
    at: str,
) -> tuple[tuple[VersionView, ...], tuple[PrincipalView, ...]]:
    """The version each secret of ``scope`` held at ``at`` (an ISO time, UTC unless it names
    an offset): its last written at or before that second, deleted or not; none for a secret
    created later. With their authors' public keys, as ``secret_history`` gives them: what
    `rollback --to-time` needs of a scope's history, in one read. Needs read access to the
    environment, as the history does; a scope that holds nothing answers no versions."""
    bindings = require_member(fetch, actor.principal_id, workspace_id)
    found, env = find_environment(fetch, workspace_id, project, environment, bindings)
    target, named = Target(workspace_id, found.id, env.id), f"environment {project}/{environment}"
    check_role(bindings, target, Role.READ, named=named, fetch=fetch)
    moment = held_moment(at)  # after the checks: a caller refused learns nothing from it
    held: dict[str, int] = {}  # secret id -> the row of its version then
    for row, secret_id, created_at in fetch(_SCOPE_VERSION_TIMES, {"env": env.id, "scope": scope}):
        if as_utc(created_at).replace(microsecond=0) <= moment:
            held[secret_id] = row  # in version order: the last one at or before wins
    rows = _version_rows(fetch, list(held.values()))
    versions = tuple(_version(rows[row], secret_id, scope) for secret_id, row in held.items())
    return versions, principal_keys(fetch, {v.author_id for v in versions})


def _version_rows(fetch: Fetch, ids: list[int]) -> dict[int, Sequence[Any]]:
    """The version rows of ``ids`` (without their id), a few hundred to a statement rather
    than one statement a secret."""
    found: dict[int, Sequence[Any]] = {}
    for start in range(0, len(ids), _ROWS_A_STATEMENT):
        params = {f"r{i}": row for i, row in enumerate(ids[start : start + _ROWS_A_STATEMENT])}
        sql = _VERSION_ROWS.format(rows=", ".join(f":{name}" for name in params))
        for row_id, *rest in fetch(sql, params):
            found[row_id] = rest
    return found


def held_moment(text: str) -> datetime:
    """``versions_at``'s time, in UTC to the second (a version written in that second counts
    as held then, as `rollback --to-time` reads it); UsageError when it is not a time."""
    try:
        return as_utc(text.strip()).replace(microsecond=0)
    except (ValueError, OverflowError):  # not a time; one that UTC cannot hold (year 1, +01:00)
        raise UsageError(
            f"{text[:40]!r} is not an ISO time", hint="e.g. 2026-11-01T09:30:00Z"
        ) from None
