"""`envkeep run`: the command sees the resolved environment (the fast path lives in ``fast``)."""

from __future__ import annotations

from typing import Annotated

import typer

from envkeep.cli.options import EnvOpt, ServiceOpt
from envkeep.cli.state import make_context
from envkeep.client.launch import run_with_environment


def run(
    command: Annotated[list[str], typer.Argument(help="The command and its arguments, after --.")],
    env: EnvOpt = None,
    service: ServiceOpt = None,
    no_validate: Annotated[
        bool, typer.Option("--no-validate", help="Run even if the schema finds errors.")
    ] = False,
) -> None:
    """Run a command with the environment's values (the service's scope over the shared one).

    Example: envkeep run --env dev --service api -- uvicorn app:app
    """
    run_with_environment(make_context(), env, service, command, validate=not no_validate)
