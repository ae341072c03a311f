"""Errors for unknown projects, environments, services and templates that name what exists."""

from __future__ import annotations

from envkeep.core.did_you_mean import did_you_mean
from envkeep.core.errors import (
    EnvironmentNotFound,
    NotFoundError,
    ProjectNotFound,
    ServiceNotFound,
)


def _listing(label: str, names: list[str] | None) -> str:
    """`` (label: a, b)`` for a caller allowed to see the names; nothing otherwise."""
    if names is None:
        return ""
    return f" ({label}: {', '.join(sorted(names)) or 'none yet'})"


def close_to(name: str, existing: list[str] | None) -> str | None:
    """The existing name ``name`` most likely mistypes (`core.near_names`: case aside, two
    letters swapped, a near spelling)."""
    from envkeep.core.near_names import suggestions

    found = suggestions(name, existing or (), limit=1)
    return found[0] if found else None


def _environment_close_to(name: str, existing: list[str] | None) -> str | None:
    """`close_to`, else the environment ``name`` is another usual name for (`production` for
    `prod`: core.environment_names)."""
    from envkeep.core.environment_names import same_environment

    return close_to(name, existing) or same_environment(name, existing or ())


def _renamed_or_new(command: str, name: str) -> str:
    return f"if it is new, create it with: {command} {name}; if it was renamed, use its new name"


def _for_an_admin(who: str, command: str, name: str) -> str:
    """The hint for a caller who may not list the names, and so may not create one either."""
    return (
        f"if it is new, {who} can create it ({command} {name}); if it was renamed, use its new name"
    )


def _no_role_or_new(name: str) -> str:
    """The hint for a project a caller who may not list the workspace's does not find: a
    project it holds no role on is answered as a missing one (a role revoked since its
    checkout was made, say), so both are said, in the same words for both."""
    return (
        "if you worked in it, you hold no role on it now: ask an admin of the workspace for one;"
        f" {_for_an_admin('an admin of the workspace', 'envkeep init', name)}"
    )


def project_not_found(
    name: str,
    existing: list[str] | None,
    *,
    readable: list[str] | None = None,
    creates: bool = True,
) -> ProjectNotFound:
    """The error for an unknown project, naming those that exist (None: not to this caller,
    who then is no admin of the workspace, and is not told to create it). ``readable``: the
    projects such a caller holds a role in, for a likely typo (the client asks for them).
    ``creates``: whether a caller who sees them may create one (else an admin can).

    This is where the server decides which project 404s stand for a refusal: a caller who may
    not list the names gets this answer for a project it holds no role on as for a missing
    one, so the error ``conceals`` (and is audited as a refusal, `api/denials.py`) in both
    cases alike; a caller who lists them can only have mistyped."""
    if existing is None:
        close = _environment_close_to(name, readable)
        return ProjectNotFound(
            f"project '{name}' not found{_listing('projects you can read', readable or None)}",
            hint=did_you_mean(close) or _no_role_or_new(name),
            conceals=True,
        )
    close = _environment_close_to(name, existing)
    create = (
        f"create it with: envkeep init {name}"
        if creates
        else _for_an_admin("an admin of the workspace", "envkeep init", name)
    )
    return ProjectNotFound(
        f"project '{name}' not found{_listing('projects', existing)}",
        hint=did_you_mean(close) or create,
    )


def environment_not_found(
    name: str,
    project: str,
    existing: list[str] | None,
    *,
    readable: list[str] | None = None,
    creates: bool = True,
) -> EnvironmentNotFound:
    """The error for an unknown environment, naming those that exist (None: not to this
    caller, who then is no admin of the project, and is not told to create it).
    ``readable``: the environments such a caller reads, for a likely typo. ``creates``:
    whether a caller who sees them may create one (a reader of the whole project may not)."""
    if existing is None:
        close = _environment_close_to(name, readable)
        where = _listing("envs you can read", readable or None)
        return EnvironmentNotFound(
            f"environment '{name}' not found in project '{project}'{where}",
            hint=did_you_mean(close)
            or _for_an_admin(
                f"an admin of project '{project}'",
                "envkeep env create",
                f"{name} --project {project}",
            ),
        )
    close = _environment_close_to(name, existing)
    create = (
        _renamed_or_new("envkeep env create", f"{name} --project {project}")
        if creates
        else _for_an_admin(
            f"an admin of project '{project}'", "envkeep env create", f"{name} --project {project}"
        )
    )
    return EnvironmentNotFound(
        f"environment '{name}' not found in project '{project}'{_listing('envs', existing)}",
        hint=did_you_mean(close) or create,
    )


def service_not_found(name: str, project: str, existing: list[str] | None) -> ServiceNotFound:
    """The error for an unknown service, naming those that exist (None: not to this caller)."""
    return ServiceNotFound(
        f"service '{name}' not found in project '{project}'{_listing('services', existing)}",
        hint=service_hint(name, existing),
    )


def service_hint(name: str, existing: list[str] | None) -> str:
    """What to do about an unknown service: the one it likely mistypes, else how to add it."""
    return did_you_mean(close_to(name, existing)) or (
        f"add it with: envkeep service add {name} --path PATH"
    )


def template_not_found(name: str, existing: list[str]) -> NotFoundError:
    """The error for an unknown template, naming those the project can use."""
    close = close_to(name, existing)
    return NotFoundError(
        f"template '{name}' not found{_listing('templates', existing)}",
        hint=did_you_mean(close) or f"create it with: envkeep template create {name} --from FILE",
    )
