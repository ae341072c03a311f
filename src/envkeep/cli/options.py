"""Options shared by several commands."""

from __future__ import annotations

from typing import Annotated

import typer

from envkeep.client.context import SHARED_SCOPE_OPTION
from envkeep.core.errors import UsageError

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
RevealOpt = Annotated[bool, typer.Option("--reveal", help="Show values instead of masking them.")]
EnvOpt = Annotated[
    str | None,
    typer.Option("--env", "-e", help="Environment (default: the project's default_env)."),
]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask; go ahead.")]
ServiceOpt = Annotated[
    str | None,
    typer.Option(
        "--service",
        "-s",
        help="Service scope (default: the service whose directory you are in, else shared;"
        " - for shared).",
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
