"""Options shared by several commands."""

from __future__ import annotations

from typing import Annotated

import typer

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
