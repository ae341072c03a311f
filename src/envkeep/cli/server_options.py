"""The --db and --config options every `server` subcommand takes (migrate, bootstrap,
backup, copy), defined once: each of backup and copy had its own copy, worded apart."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="The server's database: sqlite:///PATH or postgresql://… (default:"
        " ENVKEEP_SERVER_DB, else the --config file's db).",
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", help="A TOML settings file (default: ENVKEEP_SERVER_CONFIG).", dir_okay=False
    ),
]
