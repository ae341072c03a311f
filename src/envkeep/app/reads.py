"""Read use cases, written against ``ports.Fetch`` so that they run unchanged on a SQLAlchemy
session (server, PostgreSQL) and on a bare sqlite3 connection (the embedded store's hot path).

They return ciphertext only; the client decrypts and verifies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from envkeep.app.authz import (
    authorize,
    check_role,
    may_create_in,
    may_list,
    may_reach,
    require_member,
)
from envkeep.app.not_found import environment_not_found, project_not_found, service_not_found
from envkeep.app.policy import Binding, Role, Target
from envkeep.app.secrets_cache import SecretsCache, SecretsKey, key_now
from envkeep.app.views import (
    EnvironmentSnapshot,
    EnvironmentView,
    PrincipalView,
    ProjectView,
    SecretView,
    ServiceView,
    ShareView,
    VersionView,
)
from envkeep.core.errors import UsageError, VariableNotFound
from envkeep.core.timestamps import as_utc, utc_second

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from envkeep.app.ports import Actor, Fetch

SHARED_SCOPE = "shared"


def service_scope(service_id: str) -> str:
    """The scope string of one service's variables."""
    return f"service:{service_id}"


def _project(fetch: Fetch, workspace_id: str, name: str, bindings: list[Binding]) -> ProjectView:
    """The project called ``name``, when one of the caller's bindings reaches it; otherwise
    ProjectNotFound, the same for a project that exists and one that does not (`may_reach`)."""
    rows = fetch("SELECT id, name FROM projects WHERE workspace_id = :ws", {"ws": workspace_id})
    for project_id, project_name in rows:
        if project_name == name and may_reach(bindings, Target(workspace_id, project_id)):
            return ProjectView(id=project_id, workspace_id=workspace_id, name=name)
    where = Target(workspace_id)
    listed = may_list(bindings, where)  # a reader of the workspace reaches every project
    found = [r[1] for r in rows] if listed else None
    raise project_not_found(name, found, creates=may_create_in(bindings, where))


def _environment(
    fetch: Fetch, project: ProjectView, name: str, bindings: list[Binding]
) -> EnvironmentView:
    return _environment_row(fetch, project, name, bindings)[0]


def _environment_row(
    fetch: Fetch, project: ProjectView, name: str, bindings: list[Binding]
) -> tuple[EnvironmentView, str]:
    """The environment called ``name`` and the time it was created (as stored)."""
    rows = fetch(
        "SELECT id, name, key_version, revision, protected, description, created_at"
        " FROM environments WHERE project_id = :project ORDER BY created_at",
        {"project": project.id},
    )
    for env_id, env_name, key_version, revision, protected, description, created in rows:
        if env_name == name:
            view = EnvironmentView(
                env_id, project.id, name, key_version, revision, bool(protected), description
            )
            return view, str(created)
    where = Target(project.workspace_id, project.id)
    found = [r[1] for r in rows] if may_list(bindings, where) else None
    creates = may_create_in(bindings, where)
    raise environment_not_found(name, project.name, found, creates=creates)


_BY_NAMES = (
    "SELECT p.id, e.id, e.key_version, e.revision, e.protected, e.description, e.created_at"
    " FROM projects p JOIN environments e ON e.project_id = p.id"
    " WHERE p.workspace_id = :ws AND p.name = :project AND e.name = :environment"
)


# PostgreSQL: the environment's row as committed now, held until the transaction ends.
_BY_NAMES_HELD = _BY_NAMES + " FOR SHARE OF e"


def _by_names(
    fetch: Fetch,
    workspace_id: str,
    project: str,
    environment: str,
    bindings: list[Binding],
    *,
    hold: bool = False,
) -> tuple[ProjectView, EnvironmentView, str]:
    """A project, one of its environments and the time it was created, by name: one statement
    when both exist (and the caller reaches the project), else the lookups that raise the
    right not-found error. ``hold`` (PostgreSQL only): the environment's row is locked FOR
    SHARE until the transaction ends, so that no writer of its secrets commits meanwhile."""
    sql = _BY_NAMES_HELD if hold else _BY_NAMES
    rows = fetch(sql, {"ws": workspace_id, "project": project, "environment": environment})
    if not rows or not may_reach(bindings, Target(workspace_id, rows[0][0])):
        found = _project(fetch, workspace_id, project, bindings)
        return (found, *_environment_row(fetch, found, environment, bindings))
    project_id, env_id, key_version, revision, protected, description, created = rows[0]
    env = EnvironmentView(
        env_id, project_id, environment, key_version, revision, bool(protected), description
    )
    return ProjectView(project_id, workspace_id, project), env, str(created)


def find_environment(
    fetch: Fetch, workspace_id: str, project: str, environment: str, bindings: list[Binding]
) -> tuple[ProjectView, EnvironmentView]:
    """A project and one of its environments by name (``bindings``: the caller's roles in the
    workspace, from ``require_member``, for what a not-found error may list)."""
    found, env, _created = _by_names(fetch, workspace_id, project, environment, bindings)
    return found, env


def _services(fetch: Fetch, project: ProjectView) -> tuple[ServiceView, ...]:
    rows = fetch(
        "SELECT id, name, path, schema_path, health_url FROM services"
        " WHERE project_id = :project ORDER BY name",
        {"project": project.id},
    )
    return tuple(ServiceView(r[0], project.id, r[1], r[2], r[3], r[4]) for r in rows)


def _principals(fetch: Fetch, ids: set[str]) -> tuple[PrincipalView, ...]:
    found = []
    for principal_id in sorted(ids):
        for row in fetch(
            "SELECT id, kind, name, encryption_public, signing_public FROM principals"
            " WHERE id = :id",
            {"id": principal_id},
        ):
            found.append(PrincipalView(row[0], row[1], row[2], bytes(row[3]), bytes(row[4])))
    return tuple(found)


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


def _current_secrets(rows: Sequence[Sequence[Any]], scopes: set[str] | None) -> list[SecretView]:
    """The secrets of ``_CURRENT_SQL`` rows (thousands per read: one loop, positional
    arguments; ``bytes`` of a bytes object is that object, not a copy)."""
    secrets = []
    for sid, scope, index, version, key_version, name_ct, value_ct, author, sig, at in rows:
        if scopes is not None and scope not in scopes:
            continue
        value = None if value_ct is None else bytes(value_ct)
        current = VersionView(
            sid,
            scope,
            version,
            key_version,
            bytes(name_ct),
            value,
            author,
            bytes(sig),
            utc_second(at),
        )
        secrets.append(SecretView(sid, scope, bytes(index), current))
    return secrets


def _scopes(
    project: ProjectView, services: tuple[ServiceView, ...], wanted: Sequence[str] | None
) -> set[str] | None:
    if wanted is None:
        return None
    by_name = {s.name: s for s in services}
    scopes = {SHARED_SCOPE}
    for name in wanted:
        if name not in by_name:
            raise service_not_found(name, project.name, sorted(by_name))
        scopes.add(service_scope(by_name[name].id))
    return scopes


# The current version of each secret of an environment, oldest secret first; the WHERE clause
# ends with the environment, so that a narrow read adds its scopes to it (`_current_query`).
_CURRENT_FROM = (
    "SELECT s.id, s.scope, s.name_index, v.version, v.key_version, v.name_ct, v.value_ct,"
    " v.author_id, v.signature, v.created_at FROM secrets s JOIN secret_versions v"
    " ON v.secret_id = s.id AND v.version = s.current_version"
    " WHERE s.environment_id = :env"
)
_CURRENT_ORDER = " ORDER BY s.created_at, s.id"
_CURRENT_SQL = _CURRENT_FROM + _CURRENT_ORDER


def _current_query(key: SecretsKey) -> tuple[str, dict[str, Any]]:
    """``_CURRENT_SQL`` for ``key``, limited to its scopes in the query: a read of one service
    of 60 fetched the versions (ciphertext) of all 9,200 secrets, to keep 450 of them."""
    params: dict[str, Any] = {"env": key.environment_id}
    if key.scopes is None:
        return _CURRENT_SQL, params
    named = {f"scope{number}": scope for number, scope in enumerate(sorted(key.scopes))}
    listed = ", ".join(f":{name}" for name in named)
    return f"{_CURRENT_FROM} AND s.scope IN ({listed}){_CURRENT_ORDER}", {**params, **named}


# Tries at a header and secrets of one state: the first reads without a lock; the second, after
# the first saw a commit come between them (PostgreSQL), holds the environment's row (`_by_names`).
_READS = 2


def _secrets(
    fetch: Fetch, key: SecretsKey, cache: SecretsCache | None
) -> tuple[tuple[SecretView, ...], bool]:
    """The secrets of ``key``, and whether they are that key's: False only when a rechecked
    read (PostgreSQL) found the key changed after it read them (a commit came in between)."""
    found = None if cache is None else cache.get(key)
    if found is not None:
        return found, True
    rows = fetch(*_current_query(key))
    found = tuple(_current_secrets(rows, None if key.scopes is None else set(key.scopes)))
    settled = cache is None or not cache.recheck or key_now(fetch, key) == key
    if cache is not None and settled:
        cache.keep(key, found)
    return found, settled


def list_environments(
    fetch: Fetch, actor: Actor, *, workspace_id: str, project: str
) -> list[EnvironmentView]:
    """A project's environments that the caller reads (all of them with a role on the
    project; a role on one environment lists that one), oldest first."""
    found, bindings = _project_reached(fetch, actor, workspace_id, project)
    rows = fetch(_ENVIRONMENTS, {"project": found.id, "ws": workspace_id})
    return [
        EnvironmentView(
            env_id, found.id, name, key_version, revision, bool(protected), described, former
        )
        for env_id, name, key_version, revision, protected, described, former in rows
        if may_list(bindings, Target(workspace_id, found.id, env_id))
    ]


# Each environment, with how many principals hold a share of its current key but no longer
# a role that reaches it (or are disabled): a revocation its maker could not rotate.
_ENVIRONMENTS = (
    "SELECT e.id, e.name, e.key_version, e.revision, e.protected, e.description,"
    " (SELECT count(*) FROM data_key_shares s JOIN principals p ON p.id = s.recipient_id"
    "  WHERE s.environment_id = e.id AND s.key_version = e.key_version"
    "  AND (p.disabled_at IS NOT NULL OR NOT EXISTS (SELECT 1 FROM role_bindings b"
    "   WHERE b.principal_id = p.id AND b.workspace_id = :ws AND (b.project_id IS NULL"
    "   OR (b.project_id = e.project_id"
    "   AND (b.environment_id IS NULL OR b.environment_id = e.id))))))"
    " FROM environments e WHERE e.project_id = :project ORDER BY e.created_at"
)


def list_services(
    fetch: Fetch, actor: Actor, *, workspace_id: str, project: str
) -> list[ServiceView]:
    """A project's services, by name (a role on the project or on one of its environments:
    each reads the service scopes of the environments it reads)."""
    found, _bindings = _project_reached(fetch, actor, workspace_id, project)
    return list(_services(fetch, found))


def _project_reached(
    fetch: Fetch, actor: Actor, workspace_id: str, project: str
) -> tuple[ProjectView, list[Binding]]:
    """A project by name, for a caller with a role on it or within it (one environment's),
    and the caller's bindings in the workspace; ProjectNotFound else (`_project`)."""
    bindings = require_member(fetch, actor.principal_id, workspace_id)
    return _project(fetch, workspace_id, project, bindings), bindings


def read_environment(
    fetch: Fetch,
    actor: Actor,
    *,
    workspace_id: str,
    project: str,
    environment: str,
    services: Sequence[str] | None = None,
    cache: SecretsCache | None = None,
) -> EnvironmentSnapshot:
    """An environment's current ciphertext, the reader's key shares and the signers' keys, and
    the reader's role there (what its check found: a write command tells a reader so first).

    ``services`` limits the result to the shared scope plus those services' scopes; None
    returns every scope. Needs read access to the environment. With a ``cache`` (only for a
    transaction that writes no secrets and sees one consistent state: ``secrets_cache``), the
    secrets of a key already read come from there; every check still runs here.
    """
    bindings = require_member(fetch, actor.principal_id, workspace_id)
    named = f"environment {project}/{environment}"
    for attempt in range(_READS):
        # PostgreSQL (READ COMMITTED): secrets read after a commit that changed the key are
        # read again, not answered under the revision (the ETag) and key version of the state
        # before it. The try again holds the environment's row FOR SHARE with its header: each
        # writer of its secrets locks that row FOR UPDATE first (`writes`: `_locked`,
        # `lock_environment`; a delete or an update of the row waits too), so none commits
        # before this transaction ends, and the secrets are that header's. Holding it on every
        # read would cost each a row lock and let a stream of readers hold writers back.
        found, env, created = _by_names(
            fetch, workspace_id, project, environment, bindings, hold=attempt > 0
        )
        target = Target(workspace_id, found.id, env.id)
        held = check_role(bindings, target, Role.READ, named=named, fetch=fetch)
        all_services = _services(fetch, found)
        scopes = _scopes(found, all_services, services)
        service_ids = tuple(s.id for s in all_services)
        wanted = None if scopes is None else frozenset(scopes)
        key = SecretsKey(env.id, created, env.revision, env.key_version, service_ids, wanted)
        secrets, settled = _secrets(fetch, key, cache)
        if settled:
            break
    share_rows = fetch(
        "SELECT key_version, sharer_id, sealed FROM data_key_shares"
        " WHERE environment_id = :env AND recipient_id = :me ORDER BY key_version",
        {"env": env.id, "me": actor.principal_id},
    )
    people = _principals(fetch, {s.current.author_id for s in secrets} | {r[1] for r in share_rows})
    by_id = {p.id: p for p in people}
    shares = tuple(
        ShareView(env.id, r[0], actor.principal_id, by_id[r[1]], bytes(r[2])) for r in share_rows
    )
    return EnvironmentSnapshot(found, env, all_services, shares, secrets, people, str(held))


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
    found = _project(fetch, workspace_id, project, bindings)
    env = _environment(fetch, found, environment, bindings)
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
    return versions, _principals(fetch, {v.author_id for v in versions})


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
    return versions, _principals(fetch, {v.author_id for v in versions})


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
