"""The Typer application: commands are registered here, defined in the *_cmds modules.

A command's module is imported only when that command runs (``build_app(command)``): importing
every module (and what each imports: the crypto, the HTTP client, rich's tables) took longer
than most commands' own work. The whole application is built for the top-level help, a name
that is no command (Typer then suggests one), completion and the generated reference.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Annotated, Any

import typer

from envkeep import __version__
from envkeep.cli.command_line import VERSION_ONLY, command_of
from envkeep.cli.usage_errors import EnvkeepGroup

if TYPE_CHECKING:
    from collections.abc import Sequence

_RUN_SETTINGS = {"allow_interspersed_args": False, "ignore_unknown_options": True}

# (name, module in envkeep.cli, attribute, a group?), in the order `envkeep --help` lists them
_COMMANDS: tuple[tuple[str, str, str, bool], ...] = (
    ("init", "project_cmds", "init", False),
    ("project", "project_list_cmd", "project_app", True),
    ("service", "project_cmds", "service_app", True),
    ("init-service", "project_cmds", "init_service", False),
    ("env", "env_cmds", "env_app", True),
    ("promote", "env_cmds", "promote", False),
    ("activate-all", "activate_cmd", "activate_all", False),
    ("set", "variable_cmds", "set_", False),
    ("get", "variable_cmds", "get", False),
    ("unset", "variable_cmds", "unset", False),
    ("list", "variable_cmds", "list_", False),
    ("lift", "lift_cmd", "lift", False),
    ("export", "export_cmd", "export_", False),
    ("import", "import_cmd", "import_", False),
    ("history", "history_cmds", "history", False),
    ("rollback", "history_cmds", "rollback", False),
    ("edit", "edit_cmd", "edit", False),
    ("run", "run_cmd", "run", False),
    ("identity", "identity_cmds", "identity_app", True),
    ("completion", "completion", "completion_app", True),
    ("server", "server_cmds", "server_app", True),
    ("audit", "audit_cmds", "audit_app", True),
    ("member", "member_cmds", "member_app", True),
    ("token", "token_cmds", "token_app", True),
    ("join", "account_cmds", "join", False),
    ("login", "account_cmds", "login", False),
    ("logout", "account_cmds", "logout", False),
    ("whoami", "whoami_cmd", "whoami", False),
    ("account", "account_cmds", "account_app", True),
    ("session", "account_cmds", "session_app", True),
    ("workspace", "account_cmds", "workspace_app", True),
    ("encrypt", "file_cmds", "encrypt", False),
    ("decrypt", "file_cmds", "decrypt", False),
    ("reencrypt", "file_cmds", "reencrypt", False),
    ("merge-file", "merge_cmds", "merge_file", False),
    ("git-setup", "merge_cmds", "git_setup", False),
    ("textconv", "merge_cmds", "textconv", False),
    ("validate", "schema_cmds", "validate", False),
    ("validate-service", "schema_cmds", "validate_service", False),
    ("explain", "schema_cmds", "explain", False),
    ("schema", "schema_cmds", "schema_app", True),
    ("template", "template_cmds", "template_app", True),
)
NAMES = frozenset(name for name, *_ in _COMMANDS)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"envkeep {__version__}")
        raise typer.Exit


def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """envkeep keeps every service's configuration and secrets, per environment, encrypted."""


def build_app(command: str | None = None) -> typer.Typer:
    """The application with ``command`` alone registered, or every command when it is None or
    not a command's name."""
    app = typer.Typer(
        name="envkeep",
        help="Zero-knowledge secrets and environment configuration for microservices.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        cls=EnvkeepGroup,
    )
    app.callback()(_main)
    if command == VERSION_ONLY:  # --version answers before Typer looks for a command
        return app
    every = command not in NAMES
    for name, module, attribute, group in _COMMANDS:
        if every or name == command:
            found: Any = getattr(importlib.import_module(f"envkeep.cli.{module}"), attribute)
            if group:
                app.add_typer(found, name=name)
            else:
                settings = _RUN_SETTINGS if name == "run" else None
                app.command(name, context_settings=settings)(found)
    return app


def command_words_of(app: typer.Typer, args: Sequence[str]) -> str | None:
    """The command an argument list runs in ``app``, as the server records it with reads
    (``get``, ``service add``): its name, and for a group the subcommand's when the first
    argument after it is one; None for none (help, the version, a name that is no command)."""
    name = command_of(args)
    if name not in NAMES:
        return None
    group = next((g.typer_instance for g in app.registered_groups if g.name == name), None)
    if group is None:
        return name
    after = list(args)[list(args).index(name) + 1 :]
    sub = next((arg for arg in after if not arg.startswith("-")), None)
    names = {c.name for c in group.registered_commands}
    return f"{name} {sub}" if sub in names else name
