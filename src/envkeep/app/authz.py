"""The one authorisation choke point: every use case calls ``require_role`` (or, on the hot read
path that has no SQLAlchemy session, ``authorize`` with a ``Fetch``) before it acts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.app.policy import (
    Binding,
    Role,
    Target,
    covers,
    effective_role,
    reaches,
    reads_audit_of,
)
from envkeep.core.errors import NotAuthenticated, PermissionDenied

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from typing import Any

    from envkeep.app.context import Call
    from envkeep.app.ports import Fetch

# The principal (no row: unknown) and its roles in one workspace (none: a NULL role), in one
# statement: every request runs it.
BINDINGS_SQL = (
    "SELECT p.disabled_at, b.role, b.workspace_id, b.project_id, b.environment_id"
    " FROM principals p LEFT JOIN role_bindings b"
    " ON b.principal_id = p.id AND b.workspace_id = :workspace WHERE p.id = :principal"
)


def load_bindings(fetch: Fetch, principal_id: str, workspace_id: str) -> list[Binding]:
    """Every role a principal holds in one workspace; NotAuthenticated when the principal is
    unknown or disabled."""
    rows = fetch(BINDINGS_SQL, {"principal": principal_id, "workspace": workspace_id})
    if not rows or rows[0][0] is not None:
        raise NotAuthenticated(
            "this identity is not known to the store or was disabled",
            hint="log in again, or ask an admin to restore your access",
        )
    return [Binding(Role.parse(r[1]), r[2], r[3], r[4]) for r in rows if r[1] is not None]


def authorize(fetch: Fetch, principal_id: str, target: Target, role: Role) -> Role:
    """Raise unless the principal holds at least ``role`` on ``target``; return the role held."""
    bindings = load_bindings(fetch, principal_id, target.workspace_id)
    return check_role(bindings, target, role, fetch=fetch)


def check_role(
    bindings: list[Binding],
    target: Target,
    role: Role,
    *,
    named: str | None = None,
    fetch: Fetch | None = None,
) -> Role:
    """``authorize`` with the principal's bindings in the target's workspace already read in
    this transaction (by ``require_member``, which checked the principal too); ``named``: the
    target as the refusal names it, where the caller has its names at hand; ``fetch``: the
    refusal names the admins the caller could ask (``admins_to_ask``)."""
    held = effective_role(bindings, target)
    if held is None or held < role:
        where = f"on {named}" if named else _scope_words(target, bindings, fetch)
        ask = admins_to_ask(fetch, bindings, target) if fetch is not None else []
        raise PermissionDenied(
            f"you need the {role} role {where} (you have: {held or 'none'} there)",
            hint=f"ask an admin of {where.removeprefix('on ')} to grant it{named_admins(ask)}",
            needed=str(role),
        )
    return held


_NAMED = 3  # admins a refusal names at most
# The people who hold admin somewhere in a workspace: a refusal's candidates to ask.
_ADMINS_SQL = (
    "SELECT p.name, b.project_id, b.environment_id FROM role_bindings b"
    " JOIN principals p ON p.id = b.principal_id"
    " WHERE b.workspace_id = :workspace AND b.role = :admin AND p.kind = 'user'"
    " AND p.disabled_at IS NULL ORDER BY p.name"
)


def admins_to_ask(fetch: Fetch, bindings: list[Binding], target: Target) -> list[str]:
    """The users who could grant a role on ``target`` (an admin role covering it), by email,
    those nearest the target first; only those the caller may see there (`member list`
    shows them to it too): a caller none of whose roles reaches the target is told no name.
    Read only when a refusal is made."""
    rows = fetch(_ADMINS_SQL, {"workspace": target.workspace_id, "admin": str(Role.ADMIN)})
    return nearest_admins(rows, bindings, target)


def nearest_admins(
    admins: Iterable[Sequence[Any]], bindings: list[Binding], target: Target
) -> list[str]:
    """Of ``admins`` (each an admin binding as (name, project, environment), in
    ``target``'s workspace), those over ``target`` that ``bindings`` may see, each once,
    nearest the target first (the environment's, the project's, the workspace's)."""
    found: dict[str, int] = {}
    for name, project, environment in admins:
        scope = Target(target.workspace_id, project, environment)
        granting = Binding(Role.ADMIN, target.workspace_id, project, environment)
        if covers(granting, target) and may_see_role_at(bindings, scope):
            depth = (project is not None) + (environment is not None)
            found[name] = max(depth, found.get(name, 0))
    return sorted(found, key=lambda name: (-found[name], name))


def named_admins(names: list[str]) -> str:
    """`` (a@x.io, b@x.io or 2 more)`` after a refusal's "ask an admin …"; empty for none."""
    if not names:
        return ""
    more = f" or {len(names) - _NAMED} more" if len(names) > _NAMED else ""
    return f" ({', '.join(names[:_NAMED])}{more})"


# The names of a project and, when ``environment`` is one of its, of that environment.
_SCOPE_NAMES_SQL = (
    "SELECT p.name, e.name FROM projects p"
    " LEFT JOIN environments e ON e.id = :environment AND e.project_id = p.id"
    " WHERE p.id = :project AND p.workspace_id = :workspace"
)


def _scope_words(target: Target, bindings: list[Binding], fetch: Fetch | None) -> str:
    """Where a refused action was, as the refusal says it: ``on environment shop/prod``, ``on
    project shop``, read on this error path only, and only where one of the caller's roles
    reaches the target itself (it may list that name then: a role on one environment lists
    that environment, not its siblings); ``on this …`` otherwise, so a refusal of a target
    the server worked out (a token's other role, say) tells no name the caller may not know."""
    if target.project_id is None:
        return "on the workspace"
    kind = "project" if target.environment_id is None else "environment"
    if fetch is None or not may_reach(bindings, target):
        return f"on this {kind}"
    params = {
        "project": target.project_id,
        "environment": target.environment_id,
        "workspace": target.workspace_id,
    }
    rows = fetch(_SCOPE_NAMES_SQL, params)
    if not rows or (kind == "environment" and rows[0][1] is None):  # deleted meanwhile
        return f"on this {kind}"
    project_name, environment_name = rows[0]
    if kind == "project":
        return f"on project {project_name}"
    return f"on environment {project_name}/{environment_name}"


def require_role(call: Call, target: Target, role: Role) -> Role:
    """``authorize`` for the acting principal of a use-case call."""
    return authorize(call.fetch, call.actor.principal_id, target, role)


def require_member(fetch: Fetch, principal_id: str, workspace_id: str) -> list[Binding]:
    """The caller's bindings in a workspace; PermissionDenied when it has none, before any
    name in the workspace is looked up (so a stranger learns nothing, not even a 404)."""
    bindings = load_bindings(fetch, principal_id, workspace_id)
    if not bindings:
        raise PermissionDenied(
            "you have no role in this workspace",
            hint="ask one of its admins for a role: a former member gets one back with envkeep"
            " member grant, anyone else needs an invite (envkeep member invite)",
            scope="workspace",
        )
    return bindings


def require_role_anywhere(call: Call, workspace_id: str, role: Role) -> Role:
    """Raise unless the caller holds at least ``role`` at some scope of the workspace (an admin
    of one project looks up the accounts it grants roles in that project to); the highest
    role held. What the caller then does is checked again at its own scope."""
    bindings = require_member(call.fetch, call.actor.principal_id, workspace_id)
    held = max(b.role for b in bindings)
    if held < role:
        raise PermissionDenied(
            f"you need the {role} role somewhere in this workspace (you have: {held})",
            hint="ask one of its admins to grant it",
        )
    return held


def may_see_role_at(bindings: list[Binding], target: Target) -> bool:
    """Whether the caller may see who holds, or is invited to, a role at ``target`` (`member
    list`): one of its own bindings reaches it (covers it or lies within it: who else holds
    access where the caller does). A role on a project sees nothing of another project."""
    return may_reach(bindings, target)


def may_reach(bindings: list[Binding], target: Target) -> bool:
    """Whether one of the caller's bindings reaches ``target`` (covers it or lies within it):
    whether the caller may know it exists. A project no binding reaches is answered as a
    missing one (`reads`, `_lookup`): its name, and its environments', are not told apart
    from names that exist nowhere."""
    return any(reaches(b, target) for b in bindings)


def require_creator_or_admin(
    call: Call,
    workspace_id: str,
    targets: Sequence[Target],
    *,
    created_by: str | None,
    refused: Callable[[], PermissionDenied],
) -> str:
    """Let the caller end what ``created_by`` handed out (a token it made): its creator may,
    as may an admin over every one of ``targets`` (the workspace's admin when there are none:
    deny by default). Ending only takes rights away, so it cannot escalate, and cutting off
    access one gave must never need more rights than giving it. Return ``"creator"`` or
    ``"admin"``; otherwise raise what ``refused`` words (who may, by name where the caller may
    know it)."""
    bindings = require_member(call.fetch, call.actor.principal_id, workspace_id)
    if created_by is not None and created_by == call.actor.principal_id:
        return "creator"
    for target in targets or [Target(workspace_id)]:
        held = effective_role(bindings, target)
        if held is None or held < Role.ADMIN:
            raise refused()
    return "admin"


def may_list(bindings: list[Binding], target: Target) -> bool:
    """Whether the caller may see the names inside ``target`` (read or more there)."""
    return effective_role(bindings, target) is not None


def may_create_in(bindings: list[Binding], target: Target) -> bool:
    """Whether the caller may create what ``target`` holds (a project in a workspace, an
    environment in a project): admin there. A not-found error tells only such a caller to."""
    return effective_role(bindings, target) == Role.ADMIN


def require_within(call: Call, target: Target, *, named: str) -> list[Binding]:
    """The caller's bindings in the target's workspace when one of them reaches into the
    target (covers it or lies within it: a reader of one environment lists its project's
    environments and services); PermissionDenied otherwise, worded as for a read there."""
    bindings = require_member(call.fetch, call.actor.principal_id, target.workspace_id)
    check_within(bindings, target, named=named, fetch=call.fetch)
    return bindings


def check_within(
    bindings: list[Binding], target: Target, *, named: str, fetch: Fetch | None = None
) -> None:
    """``require_within`` with the bindings already read (by ``require_member``)."""
    if not may_reach(bindings, target):
        check_role(bindings, target, Role.READ, named=named, fetch=fetch)


def audit_scope(
    call: Call, workspace_id: str, *, project_id: str | None, fallback_id: str | None = None
) -> str | None:
    """The project whose audit events the caller reads (`policy.reads_audit_of`), None for the
    whole trail: ``project_id`` when given (its admin's, or the workspace's); else the whole
    trail for the workspace's admin, or ``fallback_id`` (a checkout's project) for that
    project's admin. PermissionDenied otherwise, telling a project's admin how to read its
    events, and that the whole trail (which `audit verify` recomputes) is not theirs."""
    bindings = require_member(call.fetch, call.actor.principal_id, workspace_id)
    if project_id is not None:
        asked = Target(workspace_id, project_id)
        if not reads_audit_of(bindings, asked):
            check_role(bindings, asked, Role.ADMIN, fetch=call.fetch)
        return project_id
    whole = Target(workspace_id)
    fallback = Target(workspace_id, fallback_id) if fallback_id is not None else None
    if fallback and not reads_audit_of(bindings, whole) and reads_audit_of(bindings, fallback):
        return fallback_id
    try:
        check_role(bindings, whole, Role.ADMIN, fetch=call.fetch)
    except PermissionDenied as refused:
        raise _whole_trail_refused(refused, _administered(call.fetch, bindings)) from None
    return None


# The names of the projects a caller administers, for the whole trail's refusal.
_PROJECT_NAMES_SQL = "SELECT name FROM projects WHERE id = :project"


def _administered(fetch: Fetch, bindings: list[Binding]) -> list[str]:
    """The names of the projects the caller is an admin of (read on the refusal's path)."""
    ids = {
        b.project_id
        for b in bindings
        if b.role == Role.ADMIN and b.project_id is not None and b.environment_id is None
    }
    rows = [fetch(_PROJECT_NAMES_SQL, {"project": i}) for i in ids]
    return sorted(str(r[0][0]) for r in rows if r)


def _whole_trail_refused(refused: PermissionDenied, projects: list[str]) -> PermissionDenied:
    """The refusal of the whole trail, for a project's admin: where its own events are."""
    if not projects:
        return refused
    named = f"project {projects[0]}" if len(projects) == 1 else f"projects {', '.join(projects)}"
    return PermissionDenied(
        refused.message,
        hint=f"as an admin of {named} you read its events: envkeep audit --project"
        f" {projects[0]} (or envkeep audit in its checkout); the whole trail, and audit verify,"
        f" which recomputes all of it, are for the workspace's admins: {refused.hint}",
        needed=refused.needed,
    )
