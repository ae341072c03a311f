"""`envkeep project list`."""

from __future__ import annotations

import typer

from envkeep.cli import output
from envkeep.cli.options import JsonOpt
from envkeep.cli.project_move_cmd import move_to
from envkeep.cli.state import make_context

project_app = typer.Typer(
    help="The projects you can use; moving one to a team server.", no_args_is_help=True
)


@project_app.command("list")
def list_(json_out: JsonOpt = False) -> None:
    """List the projects you can use (set one up here with: envkeep init NAME).

    On a team server: every project of the workspace for a workspace-wide member, else the
    projects your roles name. Outside a project it asks the server you are logged in to, else
    this machine's embedded store.

    Example: envkeep project list
    """
    from envkeep.client.project_list import list_projects

    found = list_projects(make_context())
    if json_out:
        output.print_json([{"name": name, "here": name == found.here} for name in found.names])
        return
    rows = [(name, "yes" if name == found.here else "") for name in found.names]
    empty = "no projects yet: create one with envkeep init NAME"
    output.print_table(("PROJECT", "HERE"), rows, empty=empty)
    if not found.whole and found.names:
        output.done(
            "the projects your roles name (the workspace's whole list is for members with a"
            " workspace-wide role)"
        )


project_app.command("move-to")(move_to)  # defined in its own module, listed after list
