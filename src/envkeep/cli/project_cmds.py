"""`envkeep init` and `envkeep service …`."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from envkeep.cli import output
from envkeep.cli.options import JsonOpt, OtherProjectOpt, ServiceArg, YesOpt
from envkeep.cli.state import answered, asking, interactive, make_context
from envkeep.cli.unsealed import warn_unsealed
from envkeep.client import (
    checkout_store,
    found_schemas,
    project_services,
    projects,
    service_discovery,
    service_entries,
    service_removal,
)
from envkeep.core.errors import UsageError
from envkeep.core.projectfile import FILENAME, ServiceEntry

if TYPE_CHECKING:
    from envkeep.client.context import ClientContext
    from envkeep.client.env_gitignore import EnvIgnores
    from envkeep.client.new_keys import Unsealed
    from envkeep.core.projectfile import ProjectFile

service_app = typer.Typer(help="Register the project's microservices.", no_args_is_help=True)


def _project_name(text: str) -> str:
    """A prompt's answer checked as it is typed: a name refused is asked again."""
    try:
        projects.check_new_name(text)
    except UsageError as refused:
        raise typer.BadParameter(f"{refused}: {refused.hint}") from None
    return text


def _ask(
    name: str | None, envs: list[str], found: list[ServiceEntry]
) -> tuple[str, list[str], list[ServiceEntry]]:
    with answered():
        name = typer.prompt(
            "Project name",
            default=name or service_discovery.service_slug(Path.cwd().name),
            value_proc=_project_name,
        )
        answer = typer.prompt("Environments", default=", ".join(envs))
        chosen = [e.strip() for e in answer.split(",") if e.strip()]
        services = [
            s for s in found if typer.confirm(f"Add service '{s.name}' ({s.path})?", default=True)
        ]
    return name, chosen, services


def init(
    name: Annotated[str | None, typer.Argument(help="Project name, e.g. shop.")] = None,
    env: Annotated[
        list[str] | None, typer.Option("--env", "-e", help="An environment (repeatable).")
    ] = None,
    yes: Annotated[
        bool,
        typer.Option(
            "--yes", "-y", help="No questions: take the defaults and every service found."
        ),
    ] = False,
    local: Annotated[
        bool,
        typer.Option(
            "--local",
            help="Keep the project on this machine's embedded store, though you are logged in.",
        ),
    ] = False,
) -> None:
    """Create a project and write ./envkeep.toml (or set up the one that is already here).
    Without a name, the project is named after its directory. Logged in to a team server, a
    new project goes there (envkeep.toml names it: server =), unless --local; a checkout whose
    envkeep.toml names no server stays on the embedded store. In a git work tree, a new
    project's .gitignore gets .env and .env.bak* (activate-all's files), unless git ignores
    them already.

    Example: envkeep init shop --env dev --env prod --yes
    """
    ctx = make_context()
    if local:
        ctx.choose_embedded()
    envs = env or list(projects.DEFAULT_ENVIRONMENTS)
    declared = (ctx.cwd / FILENAME).exists()
    found = [] if declared else service_discovery.discover_services(ctx.cwd)
    services = found if yes else []
    asking = bool(found) and interactive(ctx.settings) and not yes
    if not name and not declared and not asking:  # the default a prompt would offer
        name = service_discovery.service_slug(ctx.cwd.name)
    if asking:
        name, envs, services = _ask(name, envs, found)
    outcome = projects.init_project(ctx, name, envs, services)
    if outcome.linked:
        _say_linked(ctx, outcome.project)
    elif outcome.created:
        _say_ready(ctx, outcome.project)
        _say_git_ignored(outcome.git_ignored)
        for line in found_schemas.schema_warnings(outcome.project.root, services):
            output.done(line)  # `service add` would have refused or warned of these files
        if found and not yes and not interactive(ctx.settings):  # none asked about: say how
            _say_found(found)
    else:
        _say_set_up_already(outcome)
    _warn_unsealed_by_member(outcome)
    elsewhere = None if local else checkout_store.embedded_while_logged_in(ctx)
    if elsewhere:
        output.done(elsewhere)


def _say_ready(ctx: ClientContext, project: ProjectFile) -> None:
    """The project made, and on which store: a login sends a new project to its server."""
    where = ctx.server_url or "this machine's embedded store"
    output.done(
        f"project '{project.project}' is ready on {where} ({project.path}); "
        f"default environment: {project.default_env}"
    )


def _say_git_ignored(ignores: EnvIgnores) -> None:
    """The lines init added to .gitignore, or those it could not add and how to add them."""
    why = "the .env files activate-all writes hold values in clear"
    if ignores.added:
        output.done(f"added {' and '.join(ignores.added)} to .gitignore: {why}")
    elif ignores.not_added:
        lines = " and ".join(ignores.not_added)
        output.done(f"warning: .gitignore not changed ({ignores.why}): add {lines} to it; {why}")


def _say_linked(ctx: ClientContext, project: ProjectFile) -> None:
    """A project of the server's, written into a new envkeep.toml: nothing was created."""
    environments = ", ".join(project.environments) or "none you can see"
    output.done(
        f"project '{project.project}' exists on {ctx.server_url}: wrote {project.path} for it"
        f" (environments: {environments}; default: {project.default_env}); nothing was created"
    )


def _say_found(found: list[ServiceEntry]) -> None:
    adds = "; ".join(
        shlex.join(["envkeep", "service", "add", s.name, "--path", s.path or "."]) for s in found
    )
    output.done(f"found services, not added (no --yes, no terminal to ask): {adds}")


def _warn_unsealed_by_member(outcome: projects.InitOutcome) -> None:
    by_member: dict[Unsealed, list[str]] = {}
    for not_sealed in outcome.unsealed:  # one warning per member, naming each environment
        by_member.setdefault(not_sealed.left, []).append(not_sealed.environment)
    for left, names in by_member.items():
        warn_unsealed(names, [left])


def _say_set_up_already(outcome: projects.InitOutcome) -> None:
    said = f"project '{outcome.project.project}' of {outcome.project.path} is set up already"
    added = [
        f"{what} envkeep.toml adds: {', '.join(names)}"
        for what, names in (
            ("registered the services", outcome.registered),
            ("created the environments", outcome.environments_created),
        )
        if names
    ]
    if added:
        said += "; " + "; ".join(added)
    elif not outcome.unregistered:
        said += "; nothing to do"
    output.done(said)
    if outcome.unregistered:
        output.done(
            f"warning: envkeep.toml declares services project '{outcome.project.project}'"
            " lacks here:"
            f" {', '.join(outcome.unregistered)}; a project admin registers them with:"
            " envkeep init"
        )


ServicePathOpt = Annotated[
    str | None, typer.Option("--path", help="Its directory, relative to the project root.")
]
ServiceSchemaOpt = Annotated[
    str | None,
    typer.Option(
        "--schema",
        help="Its .env.example (schema); by default, the one in --path when there is one.",
    ),
]
ServiceNewSchemaOpt = Annotated[
    str | None,
    typer.Option("--schema", help="Its .env.example (schema), relative to the project root."),
]


@service_app.command("add")
def service_add(
    name: Annotated[str, typer.Argument(help="Service name, e.g. api.")],
    path: ServicePathOpt = None,
    schema: ServiceSchemaOpt = None,
) -> None:
    """Add a service to the project.

    Example: envkeep service add api --path services/api
    """
    _add_service(make_context(), name, path=path, schema=schema)


def _add_service(ctx: ClientContext, name: str, *, path: str | None, schema: str | None) -> None:
    added = project_services.add_service(ctx, name, path=path, schema=schema)
    schema_text = f" (schema {added.service.schema_path})" if added.service.schema_path else ""
    output.done(f"added service '{name}'{schema_text}")
    for cycle in added.cycles:
        output.done(f"warning: {cycle.describe(name)}")


@service_app.command("set")
def service_set(
    name: ServiceArg,
    path: ServicePathOpt = None,
    schema: ServiceNewSchemaOpt = None,
) -> None:
    """Change a service's directory or schema file (in envkeep.toml).

    Example: envkeep service set api --path services/api
    """
    entry = service_entries.set_service(make_context(), name, path=path, schema=schema)
    schema_text = entry.schema or ("a table in envkeep.toml" if entry.schema_table else "-")
    output.done(f"service '{name}': path {entry.path or '-'}, schema {schema_text}")


@service_app.command("list")
def service_list(json_out: JsonOpt = False) -> None:
    """List the project's services.

    Example: envkeep service list --json
    """
    services = project_services.list_services(make_context())
    if json_out:
        output.print_json(
            [
                {"name": s.name, "path": s.path, "schema": s.schema, "schema_table": s.schema_table}
                for s in services
            ]
        )
        return
    rows = [(s.name, s.path or "", s.schema or "") for s in services]
    output.print_table(("SERVICE", "PATH", "SCHEMA"), rows, empty="no services yet")


@service_app.command("remove")
def service_remove(name: ServiceArg, yes: YesOpt = False) -> None:
    """Remove a service and its service-scoped variables (and their history) in every
    environment. A warning names each ${service.NAME} reference that no longer resolves.

    Example: envkeep service remove api --yes
    """
    ctx = make_context()
    # before the question: nothing to confirm otherwise
    project_services.check_removable(ctx, name)
    if not yes:  # said before it is asked, or refused off a terminal (as member remove)
        asking(ctx.settings, yes=False)(service_removal.plan_removal(ctx, name))
    broken = project_services.remove_service(ctx, name)
    output.done(f"removed service '{name}'")
    for reference in broken:
        output.done(f"warning: {reference.describe()}")


@service_app.command("trust")
def service_trust(
    names: Annotated[
        list[str],
        typer.Argument(metavar="NAME...", help="The services, as the server names them now."),
    ],
    project: OtherProjectOpt = None,
) -> None:
    """Accept the services the team server names NAME now as those names on this machine,
    after an admin removed services and added them again (a read refuses a service that is
    not the one this machine read under its name before).

    Example: envkeep service trust api (ask the admin first what changed)
    """
    output.done(project_services.trust_services(make_context(), names, project))


def init_service(
    # PROJECT is a list, so that click gives NAME the last word and PROJECT what comes before
    # (if any); NAME's ``...`` makes it required after an argument with a default.
    project: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="PROJECT",
            help="The project; optional, and when given it must be the one in envkeep.toml.",
            show_default=False,
        ),
    ] = None,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Service name.")] = ...,  # type: ignore[assignment]
    path: ServicePathOpt = None,
    schema: ServiceSchemaOpt = None,
) -> None:
    """Add a service (the same as `envkeep service add`).

    Example: envkeep init-service api --path services/api
    """
    if len(project or ()) > 1:
        raise UsageError("init-service takes one service name (and, before it, the project)")
    ctx = make_context()
    for named in project or ():
        if ctx.project_file.project != named:
            raise UsageError(
                f"this directory's project is '{ctx.project_file.project}', not '{named}'",
                hint=f"run it from the '{named}' project directory, or: envkeep service add {name}",
            )
    _add_service(ctx, name, path=path, schema=schema)
