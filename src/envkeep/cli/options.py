"""Options shared by several commands."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from envkeep.client.context import SHARED_SCOPE_OPTION
from envkeep.core.errors import EnvkeepError, UsageError
from envkeep.core.projectfile import find_project_file, load_project_file

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from envkeep.core.projectfile import ProjectFile


def _declared() -> ProjectFile | None:
    """The envkeep.toml a completion reads (none, or one that does not parse: nothing)."""
    try:
        found = find_project_file(Path.cwd())
        return load_project_file(found) if found else None
    except (OSError, EnvkeepError):  # a shell asking must never see an error
        return None


def _starting(names: Iterable[str], incomplete: str) -> list[str]:
    return [name for name in names if name.startswith(incomplete)]


def complete_env(incomplete: str) -> list[str]:
    """The environments envkeep.toml declares, for the shell's completion of --env."""
    project = _declared()
    return _starting(project.declared_environments if project else (), incomplete)


def _declared_services() -> list[str]:
    project = _declared()
    return [service.name for service in project.services] if project else []


def complete_service(incomplete: str) -> list[str]:
    """The services envkeep.toml declares, and ``-`` (the shared scope), for --service."""
    return _starting([*_declared_services(), SHARED_SCOPE_OPTION], incomplete)


def complete_service_name(incomplete: str) -> list[str]:
    """The services envkeep.toml declares, for an argument naming one (not the shared scope)."""
    return _starting(_declared_services(), incomplete)


def complete_template(incomplete: str) -> list[str]:
    """The templates the project can use (the project's and the user's directory; names from
    the file names, nothing parsed), for an argument naming one."""
    from envkeep.client.resolution import TEMPLATES_DIR
    from envkeep.settings import load_settings

    project = _declared()
    directories = [load_settings().home / "templates"]
    if project is not None:
        directories.insert(0, project.root / TEMPLATES_DIR)
    try:
        names = {
            path.stem
            for directory in directories
            if directory.is_dir()
            for path in directory.glob("*.env")
            if not path.name.startswith(".")
        }
    except OSError:  # a shell asking must never see an error
        return []
    return _starting(sorted(names), incomplete)


ServiceArg = Annotated[
    str, typer.Argument(help="Service name.", autocompletion=complete_service_name)
]


def complete_from(choices: Iterable[str]) -> Callable[[str], list[str]]:
    """A completion offering ``choices`` (an option's fixed values, such as --format's)."""
    fixed = tuple(choices)
    return lambda incomplete: _starting(fixed, incomplete)


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
RevealOpt = Annotated[bool, typer.Option("--reveal", help="Show values instead of masking them.")]
EnvOpt = Annotated[
    str | None,
    typer.Option(
        "--env",
        "-e",
        help="Environment (default: ENVKEEP_ENV, else the project's default_env).",
        autocompletion=complete_env,
    ),
]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask; go ahead.")]
# promote and rollback --to-time: a long plan is cut (`long_plans`); this shows all of it.
DryRunPlanOpt = Annotated[
    bool,
    typer.Option("--dry-run", help="Show the whole plan (every name), write nothing, ask nothing."),
]
# A role's scope (member and token commands): --env alone is an environment of the checkout's.
ProjectOpt = Annotated[str | None, typer.Option("--project", "-p", help="Only this project.")]
RoleEnvOpt = Annotated[
    str | None,
    typer.Option(
        "--env",
        "-e",
        help="Only this environment (of --project, else of this checkout's project).",
        autocompletion=complete_env,
    ),
]
RevokeNowOpt = Annotated[
    bool,
    typer.Option(
        "--revoke-now",
        help="Revoke at once even if you cannot rotate every key it must (an emergency): the"
        " environments left unrotated are named, for an admin who holds their keys.",
    ),
]
NoValidateOpt = Annotated[
    bool,
    typer.Option(
        "--no-validate",
        help="Write even if a service's schema refuses a value or a removal (ahead of a schema"
        " change).",
    ),
]


ServiceOpt = Annotated[
    str | None,
    typer.Option(
        "--service",
        "-s",
        help="Service scope (default: the service whose directory you are in, else shared;"
        " - for shared).",
        autocompletion=complete_service,
    ),
]


def service_name(service: str) -> str:
    """A service that a command needs named: ``-`` (the shared scope elsewhere) is refused."""
    if service == SHARED_SCOPE_OPTION:
        raise UsageError(
            "'-' names the shared scope, and this command works on one service",
            hint="name the service: --service NAME",
        )
    return service


OtherProjectOpt = Annotated[
    str | None,
    typer.Option("--project", help="Another project of the workspace (default: this one)."),
]
