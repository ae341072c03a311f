"""Read use cases, written against ``ports.Fetch`` so that they run unchanged on a SQLAlchemy
session (server, PostgreSQL) and on a bare sqlite3 connection (the embedded store's hot path).

They return ciphertext only; the client decrypts and verifies. A secret's past versions are
read by `version_reads`; projects and environments are found by name in `read_lookups`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from envkeep.app._principal_keys import principal_keys
from envkeep.app.authz import check_role, may_list, require_member
from envkeep.app.not_found import service_not_found
from envkeep.app.policy import Role, Target
from envkeep.app.read_lookups import environment_by_names, project_reached
from envkeep.app.secrets_cache import SecretsCache, SecretsKey, key_now
from envkeep.app.views import (
    EnvironmentSnapshot,
    EnvironmentView,
    SecretView,
    ServiceView,
    ShareView,
    VersionView,
)
from envkeep.core.timestamps import utc_second

if TYPE_CHECKING:
    from collections.abc import Sequence

    from envkeep.app.ports import Actor, Fetch
    from envkeep.app.views import ProjectView

SHARED_SCOPE = "shared"


def service_scope(service_id: str) -> str:
    """The scope string of one service's variables."""
    return f"service:{service_id}"


def _services(fetch: Fetch, project: ProjectView) -> tuple[ServiceView, ...]:
    rows = fetch(
        "SELECT id, name, path, schema_path, health_url FROM services"
        " WHERE project_id = :project ORDER BY name",
        {"project": project.id},
    )
    return tuple(ServiceView(r[0], project.id, r[1], r[2], r[3], r[4]) for r in rows)


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
# the first saw a commit come between them (PostgreSQL), holds the environment's row
# (`read_lookups.environment_by_names`).
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
    found, bindings = project_reached(fetch, actor, workspace_id, project)
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
    found, _bindings = project_reached(fetch, actor, workspace_id, project)
    return list(_services(fetch, found))


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
        found, env, created = environment_by_names(
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
    people = principal_keys(
        fetch, {s.current.author_id for s in secrets} | {r[1] for r in share_rows}
    )
    by_id = {p.id: p for p in people}
    shares = tuple(
        ShareView(env.id, r[0], actor.principal_id, by_id[r[1]], bytes(r[2])) for r in share_rows
    )
    return EnvironmentSnapshot(found, env, all_services, shares, secrets, people, str(held))
