"""The Typer application: commands are registered here, defined in the *_cmds modules."""

from __future__ import annotations

from typing import Annotated

import typer

from envkeep import __version__
from envkeep.cli import (
    account_cmds,
    audit_cmds,
    completion,
    env_cmds,
    file_cmds,
    identity_cmds,
    member_cmds,
    project_cmds,
    run_cmd,
    schema_cmds,
    server_cmds,
    token_cmds,
    variable_cmds,
)

app = typer.Typer(
    name="envkeep",
    help="Zero-knowledge secrets and environment configuration for microservices.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"envkeep {__version__}")
        raise typer.Exit


@app.callback()
def main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """envkeep keeps every service's configuration and secrets, per environment, encrypted."""


app.command("init")(project_cmds.init)
app.add_typer(project_cmds.service_app, name="service")
app.command("init-service")(project_cmds.init_service)
app.add_typer(env_cmds.env_app, name="env")
app.command("promote")(env_cmds.promote)
app.command("activate-all")(env_cmds.activate_all)
app.command("set")(variable_cmds.set_)
app.command("get")(variable_cmds.get)
app.command("unset")(variable_cmds.unset)
app.command("list")(variable_cmds.list_)
app.command("export")(variable_cmds.export_)
app.command("import")(variable_cmds.import_)
app.command("history")(variable_cmds.history)
app.command("rollback")(variable_cmds.rollback)
app.command("edit")(variable_cmds.edit)
app.command(
    "run", context_settings={"allow_interspersed_args": False, "ignore_unknown_options": True}
)(run_cmd.run)
app.add_typer(identity_cmds.identity_app, name="identity")
app.add_typer(completion.completion_app, name="completion")
app.add_typer(server_cmds.server_app, name="server")
app.add_typer(audit_cmds.audit_app, name="audit")
app.add_typer(member_cmds.member_app, name="member")
app.add_typer(token_cmds.token_app, name="token")
env_cmds.env_app.command("rotate-key")(member_cmds.rotate_key)
app.command("join")(account_cmds.join)
app.command("login")(account_cmds.login)
app.command("logout")(account_cmds.logout)
app.command("whoami")(account_cmds.whoami)
app.add_typer(account_cmds.account_app, name="account")
app.add_typer(account_cmds.session_app, name="session")
app.add_typer(account_cmds.workspace_app, name="workspace")
app.command("encrypt")(file_cmds.encrypt)
app.command("decrypt")(file_cmds.decrypt)
app.command("validate")(schema_cmds.validate)
app.command("validate-service")(schema_cmds.validate_service)
app.command("explain")(schema_cmds.explain)
app.add_typer(schema_cmds.schema_app, name="schema")
app.add_typer(schema_cmds.template_app, name="template")
