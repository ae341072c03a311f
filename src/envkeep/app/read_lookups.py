"""A project and its environments found by name for the read use cases (`reads`,
`version_reads`), over ``ports.Fetch``: a project none of the caller's bindings reaches is
not told apart from a missing one, and a not-found error names what exists only to a caller
who may list it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.app.authz import may_create_in, may_list, may_reach, require_member
from envkeep.app.not_found import environment_not_found, project_not_found
from envkeep.app.policy import Binding, Target
from envkeep.app.views import EnvironmentView, ProjectView

if TYPE_CHECKING:
    from envkeep.app.ports import Actor, Fetch


def reached_project(
    fetch: Fetch, workspace_id: str, name: str, bindings: list[Binding]
) -> ProjectView:
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


def reached_environment(
    fetch: Fetch, project: ProjectView, name: str, bindings: list[Binding]
) -> EnvironmentView:
    """The environment of ``project`` called ``name``; EnvironmentNotFound else."""
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


def environment_by_names(
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
        found = reached_project(fetch, workspace_id, project, bindings)
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
    found, env, _created = environment_by_names(fetch, workspace_id, project, environment, bindings)
    return found, env


def project_reached(
    fetch: Fetch, actor: Actor, workspace_id: str, project: str
) -> tuple[ProjectView, list[Binding]]:
    """A project by name, for a caller with a role on it or within it (one environment's),
    and the caller's bindings in the workspace; ProjectNotFound else (`reached_project`)."""
    bindings = require_member(fetch, actor.principal_id, workspace_id)
    return reached_project(fetch, workspace_id, project, bindings), bindings
