"""`envkeep init`: a new project created in the store with its environments, services and
./envkeep.toml; or, where an envkeep.toml exists already (a fresh clone, a new machine), the
project it declares set up from it.

Services and environments of a project that exists are the business of `project_services`
and `environments`; the directories `init` offers as services are `service_discovery`'s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from envkeep.app.project_names import check_project_name
from envkeep.client.checkout_store import chosen_by_login, not_created_on, same_server
from envkeep.client.env_gitignore import EnvIgnores, ignore_env_files
from envkeep.client.fresh_environments import fresh_environment
from envkeep.client.project_services import register_service
from envkeep.core.errors import (
    AlreadyExistsError,
    NotFoundError,
    PermissionDenied,
    UnreachableError,
    UsageError,
)
from envkeep.core.files import write_atomic
from envkeep.core.projectfile import (
    FILENAME,
    ProjectFile,
    ServiceEntry,
    find_project_file,
    load_project_file,
)
from envkeep.core.projectfile_edits import (
    render_project_file,
    with_service_section,
    with_top_setting,
)

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from envkeep.client.context import ClientContext
    from envkeep.client.fresh_environments import FreshEnvironment
    from envkeep.client.new_keys import Unsealed

DEFAULT_ENVIRONMENTS = ("dev", "staging", "prod")


def check_new_name(name: str) -> None:
    """Refuse a name a new project cannot take (for a prompt, before anything is asked next)."""
    check_project_name(name)


def init_project(
    ctx: ClientContext,
    name: str | None,
    environments: Sequence[str] = (),
    services: Sequence[ServiceEntry] = (),
) -> InitOutcome:
    """Create the project in the store and write ./envkeep.toml.

    In a directory whose envkeep.toml exists already (a fresh clone, a new machine), the
    project it declares is created in the store with its environments and services instead;
    if the store has it already, the services the file declares that it lacks are added.
    """
    target = ctx.cwd / FILENAME
    if target.exists():
        return _adopt(ctx, load_project_file(target), name)
    if not name:
        raise UsageError("a project needs a name", hint="envkeep init NAME")
    check_new_name(name)
    _refuse_nested(ctx)
    envs = list(dict.fromkeys(environments or DEFAULT_ENVIRONMENTS))
    try:
        fresh = create_with_keys(ctx, name, envs)
    except (PermissionDenied, AlreadyExistsError):
        # A project of the team's on the server, that this caller may use: linked here.
        if ctx.server_url is not None and _lists_environments(ctx, name):
            return _link(ctx, name, target)
        raise
    except UnreachableError as error:
        raise chosen_by_login(ctx, name, error) from None
    text = render_project_file(
        name,
        default_env=envs[0],
        environments=tuple(envs),
        server=ctx.server_url,
        workspace=ctx.workspace_id,
    )
    for service in services:
        text = with_service_section(text, service)
    # The file first: whatever fails below, `envkeep init` again finishes it (_set_up_already
    # registers the services the file declares), where a project without its file could only
    # be refused as existing.
    write_atomic(target, text.encode(), mode=0o644)
    _ignore_local_files(ctx.cwd)
    git_ignored = ignore_env_files(ctx.cwd, [s.path or "." for s in services])
    for service in services:
        register_service(ctx, name, service.name, path=service.path, schema=service.schema)
    unsealed = share_fresh_keys(ctx, name, fresh)
    return InitOutcome(load_project_file(target), True, unsealed=unsealed, git_ignored=git_ignored)


def _refuse_nested(ctx: ClientContext) -> None:
    """Refuse a new project inside another's directory (a service's, say): its envkeep.toml
    would hide the outer project from every command run below it."""
    outer = find_project_file(ctx.cwd.parent)
    if outer is None:
        return
    project = load_project_file(outer).project
    raise UsageError(
        f"{ctx.cwd} is inside project '{project}' ({outer}); a project made here would hide"
        " it from every command run here",
        hint=f"to use '{project}' here, run its commands (a service: envkeep service add); or"
        " make the new project outside it",
    )


def create_with_keys(ctx: ClientContext, name: str, envs: Sequence[str]) -> list[FreshEnvironment]:
    """Create the project with its environments, each key sealed to the creator (`init`,
    `project move-to`); `share_fresh_keys` seals them to the others."""
    fresh = [fresh_environment(ctx.identity, env) for env in envs]
    ctx.backend.create_project(name, [f.environment for f in fresh])
    return fresh


def share_fresh_keys(
    ctx: ClientContext, name: str, fresh: Sequence[FreshEnvironment]
) -> tuple[NotSealed, ...]:
    """Each new key sealed to everyone else whose role on the workspace opens it; those it
    could not be sealed to."""
    from envkeep.client.new_keys import NewKey, share_new_key

    left: list[NotSealed] = []
    for f in fresh:
        env = f.environment
        new = NewKey(name, env.name, env.id, env.key_version, f.data_key)
        left.extend(NotSealed(new.environment, u) for u in share_new_key(ctx, new))
    return tuple(left)


def _ignore_local_files(root: Path) -> None:
    """Personal overrides (.envkeep/local*.env) must never reach version control."""
    ignore = root / ".envkeep" / ".gitignore"
    if not ignore.exists():
        write_atomic(ignore, b"# personal overrides: never commit them\nlocal*.env\n", mode=0o644)


def _adopt(ctx: ClientContext, project: ProjectFile, name: str | None) -> InitOutcome:
    if name and name != project.project:
        raise AlreadyExistsError(
            f"{project.path} already declares project '{project.project}'",
            hint=f"run 'envkeep init' without a name to set up '{project.project}' here",
        )
    url = ctx.server_url
    if url is not None and _reachable(ctx, project):
        # A teammate's clone: creating it would take the workspace's admin role.
        return _set_up_already(ctx, project)
    if url is not None and ctx.settings.server and not same_server(project.server, url):
        raise not_created_on(project, url)
    try:
        fresh = create_with_keys(ctx, project.project, list(project.declared_environments))
    except AlreadyExistsError:
        return _set_up_already(ctx, project)
    except PermissionDenied:
        outside = _outside_pinned_workspace(ctx, project)
        if outside is not None:
            # A former member's workspace in use is still the team's: theirs comes first.
            create = "envkeep workspace create NAME, then envkeep workspace use NAME"
            own = "" if outside else f"create one and use it ({create}), "
            raise PermissionDenied(
                f"{project.path} puts project '{project.project}' in workspace"
                f" {project.workspace} on {ctx.server_url}, which you are not a member of",
                hint="ask one of its admins for a role (a former member gets one back with"
                " envkeep member grant, anyone else needs an invite); or, to keep a project of"
                f" your own in a workspace of your own, {own}delete the 'workspace =' line and"
                " run envkeep init again",
            ) from None
        raise PermissionDenied(
            f"you hold no role on project '{project.project}' on {ctx.server_url}, and"
            " creating it takes the workspace's admin role",
            hint="ask an admin of the workspace for the role you need: envkeep member grant"
            f" EMAIL ROLE --project {project.project} [--env ENV]",
        ) from None
    project = _pin_workspace(ctx, project)
    for service in project.services:
        register_service(
            ctx, project.project, service.name, path=service.path, schema=service.schema
        )
    return InitOutcome(project, True, unsealed=share_fresh_keys(ctx, project.project, fresh))


def _pin_workspace(ctx: ClientContext, project: ProjectFile) -> ProjectFile:
    """``project`` with its new home's workspace written into envkeep.toml, as `init NAME`
    writes it: a file given `server =` by hand (moving a project to a team server) would
    otherwise follow `workspace use` to another tenant's project of the same name."""
    if project.server is None or project.workspace is not None or ctx.workspace_id is None:
        return project
    text = with_top_setting(project.path.read_text(), "workspace", ctx.workspace_id)
    write_atomic(project.path, text.encode(), mode=0o644)
    return load_project_file(project.path)


@dataclass(frozen=True)
class InitOutcome:
    """What `init` did: created the project, or found it set up and registered the services
    envkeep.toml declares that the store lacked (``registered``; ``unregistered``: those it
    could not, for want of a project admin's role), and on the embedded store created the
    environments it lists that the store lacked (``environments_created``)."""

    project: ProjectFile
    created: bool
    registered: tuple[str, ...] = ()
    unregistered: tuple[str, ...] = ()
    unsealed: tuple[NotSealed, ...] = ()  # new environments' keys that went to their creator only
    environments_created: tuple[str, ...] = ()  # envkeep.toml's, the embedded store lacked
    linked: bool = False  # the server's project, written into a new envkeep.toml (`_link`)
    git_ignored: EnvIgnores = field(default_factory=EnvIgnores)  # .gitignore (`env_gitignore`)


@dataclass(frozen=True)
class NotSealed:
    """A new environment whose key was not sealed to one its role opens."""

    environment: str
    left: Unsealed


def _set_up_already(ctx: ClientContext, project: ProjectFile) -> InitOutcome:
    """The project exists: register each service envkeep.toml declares that the store does
    not know (a teammate added it to the file in another checkout). Services are a project
    admin's to add: without that role, they are named as left."""
    try:
        stored = {s.name for s in ctx.backend.list_services(project.project)}
    except PermissionDenied:  # a role on one environment: the project's services are not ours
        return InitOutcome(project, False)
    registered: list[str] = []
    unregistered: list[str] = []
    for service in project.services:
        if service.name in stored:
            continue
        if unregistered:
            unregistered.append(service.name)
            continue
        try:
            register_service(
                ctx, project.project, service.name, path=service.path, schema=service.schema
            )
        except PermissionDenied:
            unregistered.append(service.name)
        else:
            registered.append(service.name)
    created, unsealed = _create_declared_environments(ctx, project)
    return InitOutcome(
        project,
        False,
        tuple(registered),
        tuple(unregistered),
        unsealed=unsealed,
        environments_created=created,
    )


def _create_declared_environments(
    ctx: ClientContext, project: ProjectFile
) -> tuple[tuple[str, ...], tuple[NotSealed, ...]]:
    """On the embedded store, create each environment envkeep.toml lists that the store lacks
    (a teammate added it to the file in another checkout, and to their own store), as `env
    create` would: those created, and the keys not sealed to everyone. A team server is the
    team's one store: an environment envkeep.toml lists that a member does not see there is
    another's (a role on one environment shows only it) or was deleted, not to be made."""
    from envkeep.client.environments import create_environment

    if ctx.server_url is not None:
        return (), ()
    stored = {e.name for e in ctx.backend.list_environments(project.project)}
    created: list[str] = []
    unsealed: list[NotSealed] = []
    for name in project.environments:
        if name not in stored:
            made = create_environment(ctx, name)
            created.append(name)
            unsealed += [NotSealed(name, u) for u in made.unsealed]
    return tuple(created), tuple(unsealed)


def _outside_pinned_workspace(ctx: ClientContext, project: ProjectFile) -> bool | None:
    """None unless envkeep.toml names a workspace this account is not a member of (a clone
    from another team, or of a team that removed it); then whether the workspace in use is one
    of its own. Only asked on a refusal's path."""
    from envkeep.client.workspaces import workspaces

    if project.workspace is None or ctx.settings.token:
        return None
    active, listed = workspaces(ctx.settings)
    ids = {w["id"] for w in listed}
    return None if project.workspace in ids else active in ids


def _lists_environments(ctx: ClientContext, name: str) -> bool:
    """Whether the server shows this caller project ``name``'s environments (a role in it)."""
    try:
        ctx.backend.list_environments(name)
    except (NotFoundError, PermissionDenied):
        return False
    return True


def _link(ctx: ClientContext, name: str, target: Path) -> InitOutcome:
    """`init NAME` where the team server has project NAME, and the caller a role on it (a
    teammate without its repository at hand, a new directory): an envkeep.toml for it, with
    the environments and services the server shows the caller, and nothing created. The
    environments a role on one of them shows are that one alone."""
    listed = [e.name for e in ctx.backend.list_environments(name)]
    try:
        services = ctx.backend.list_services(name)
    except PermissionDenied:  # a role on one environment: the project's services are not ours
        services = []
    default = next((e for e in DEFAULT_ENVIRONMENTS if e in listed), listed[0] if listed else "dev")
    text = render_project_file(
        name,
        default_env=default,
        environments=tuple(listed),
        server=ctx.server_url,
        workspace=ctx.workspace_id,
    )
    for service in services:
        entry = ServiceEntry(service.name, service.path, service.schema_path)
        text = with_service_section(text, entry)
    write_atomic(target, text.encode(), mode=0o644)
    _ignore_local_files(ctx.cwd)
    return InitOutcome(load_project_file(target), False, linked=True)


def _reachable(ctx: ClientContext, project: ProjectFile) -> bool:
    """Whether the server shows this caller the project: its environments (a role on the
    project or the workspace), or one of those envkeep.toml names (a role on that one; the
    server audits each such read, as any other)."""
    if _lists_environments(ctx, project.project):
        return True
    for env in project.declared_environments:
        try:
            ctx.backend.read_environment(project.project, env, [])
        except (NotFoundError, PermissionDenied):
            continue
        return True
    return False
