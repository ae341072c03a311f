"""What `envkeep project move-to URL` would do: the embedded store's project read as stored
(every environment, every scope; references unexpanded, no local.env), and what the team server
holds of it already.

A project the server has without values (or with some of these very values: an earlier move
that stopped midway) is carried on with; one whose values there are not this checkout's is
refused before anything is written. `project_move` carries the plan out.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from envkeep.app.reads import SHARED_SCOPE
from envkeep.client.new_keys import NewKey
from envkeep.client.opening import open_all_scopes
from envkeep.core.errors import (
    ConflictError,
    NotAuthenticated,
    PermissionDenied,
    ProjectNotFound,
    UsageError,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from envkeep.app.views import EnvironmentView, ServiceView
    from envkeep.client.context import ClientContext

# One scope's stored values: its service (None: shared) and name -> value.
ScopeValues = tuple[str | None, "Mapping[str, str]"]


@dataclass(frozen=True)
class EnvironmentMove:
    """One environment: its settings, its values by scope (shared first), and, where an
    earlier move made it on the server, how many of them it holds already and its key there
    (sealed again to whoever lacks it: that move may have stopped before it was)."""

    name: str
    description: str | None
    protected: bool
    scopes: tuple[ScopeValues, ...] = field(repr=False)
    held: int = 0
    key: NewKey | None = field(default=None, repr=False)

    @property
    def count(self) -> int:
        return sum(len(values) for _, values in self.scopes)

    @property
    def to_write(self) -> int:
        """The values the server lacks."""
        return self.count - self.held

    def counts(self) -> dict[str, int]:
        """Names per scope ("shared" or the service's name), no values."""
        return {service or SHARED_SCOPE: len(values) for service, values in self.scopes}


@dataclass(frozen=True)
class MovePlan:
    """The project, where it goes, and what the server lacks of it."""

    project: str
    url: str
    exists: bool  # the server has the project already (empty, or an earlier move's)
    services: tuple[ServiceView, ...]
    missing_services: tuple[str, ...]
    missing_environments: tuple[str, ...]
    environments: tuple[EnvironmentMove, ...]

    @property
    def resumed(self) -> bool:
        """Whether an earlier move wrote some of the values already."""
        return any(env.held for env in self.environments)


def plan_move(local: ClientContext, server: ClientContext) -> MovePlan:
    """The plan; refused (nothing changed) for a checkout that names a server already, or a
    project the server holds other values of."""
    checkout = local.project_file
    if checkout.server is not None:
        raise UsageError(
            f"{checkout.path} puts project '{checkout.project}' on {checkout.server} already;"
            " move-to moves a project from this machine's embedded store",
            hint="nothing to move: commands here use that server",
        )
    url = _logged_in(server)
    project = checkout.project
    services = tuple(local.backend.list_services(project))
    stored = local.backend.list_environments(project)
    there = _server_environments(server, project)
    service_names = {s.name for s in _server_services(server, project, there)}
    moves = tuple(_environment_move(local, server, env, there) for env in stored)
    _refuse_foreign_environments(server, project, there, {e.name for e in stored})
    return MovePlan(
        project=project,
        url=url,
        exists=there is not None,
        services=services,
        missing_services=tuple(s.name for s in services if s.name not in service_names),
        missing_environments=tuple(e.name for e in stored if e.name not in (there or {})),
        environments=moves,
    )


def _logged_in(server: ClientContext) -> str:
    """The server's URL, where this machine is logged in to it (or ENVKEEP_TOKEN is set)."""
    url = server.server_url or ""
    session = None if server.settings.token else server.session
    if not server.settings.token and (session is None or session.url != url):
        raise NotAuthenticated(
            f"you are not logged in to {url}; nothing changed",
            hint=f"log in first (envkeep login {url}), then run this again",
        )
    return url


def _server_environments(server: ClientContext, project: str) -> dict[str, EnvironmentView] | None:
    """The project's environments on the server by name; None where it has no such project."""
    try:
        return {e.name: e for e in server.backend.list_environments(project)}
    except ProjectNotFound:
        return None
    except PermissionDenied as refused:
        raise PermissionDenied(
            f"project '{project}' exists on {server.server_url} and you hold no role on all of"
            " it; nothing changed",
            hint="ask an admin of its workspace for the project's admin role, or move this one"
            " into a workspace of your own (envkeep workspace use NAME)",
        ) from refused


def _server_services(
    server: ClientContext, project: str, there: Mapping[str, EnvironmentView] | None
) -> list[ServiceView]:
    return [] if there is None else server.backend.list_services(project)


def _environment_move(
    local: ClientContext,
    server: ClientContext,
    env: EnvironmentView,
    there: Mapping[str, EnvironmentView] | None,
) -> EnvironmentMove:
    """``env``'s stored values, as stored, checked against the server's copy if it has one."""
    opened = open_all_scopes(local, env.name)
    scopes: dict[str | None, dict[str, str]] = {None: {}}
    for variable in opened.variables():
        service = None if variable.scope_key == SHARED_SCOPE else variable.scope
        scopes.setdefault(service, {})[variable.name] = variable.value
    move = EnvironmentMove(env.name, env.description, env.protected, tuple(scopes.items()))
    if there is not None and env.name in there:
        return _held(server, move, scopes)
    return move


def _held(
    server: ClientContext, move: EnvironmentMove, scopes: Mapping[str | None, Mapping[str, str]]
) -> EnvironmentMove:
    """``move`` with how many of ``scopes``' values the server holds already, and its key
    there; a conflict when it holds any other value (a name set otherwise, or one this store
    lacks)."""
    opened = open_all_scopes(server, move.name)
    held = 0
    for variable in opened.variables():
        service = None if variable.scope_key == SHARED_SCOPE else variable.scope
        if scopes.get(service, {}).get(variable.name) != variable.value:
            raise _foreign_values(server, move.name)
        held += 1
    there = opened.snapshot.environment
    project = server.project_file.project
    key = NewKey(project, move.name, there.id, opened.key_version, opened.dek)
    return replace(move, held=held, key=key)


def _refuse_foreign_environments(
    server: ClientContext,
    project: str,
    there: Mapping[str, EnvironmentView] | None,
    stored: set[str],
) -> None:
    """Refuse where the server's project has an environment this store lacks, with values."""
    for name in sorted(set(there or {}) - stored):
        if open_all_scopes(server, name).variables():
            raise _foreign_values(server, name, project)


def _foreign_values(server: ClientContext, env: str, project: str | None = None) -> ConflictError:
    name = project or server.project_file.project
    return ConflictError(
        f"project '{name}' on {server.server_url} holds values in '{env}' that are not this"
        " store's: it is not an earlier move of this project; nothing changed",
        hint=f'to use the server\'s project here instead, add server = "{server.server_url}"'
        " to envkeep.toml and run envkeep init; to keep both, move this one into another"
        " workspace (envkeep workspace use NAME)",
    )
