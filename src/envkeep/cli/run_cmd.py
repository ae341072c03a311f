"""`envkeep run`: the command sees the resolved environment (the fast path lives in ``fast``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from envkeep.cli.options import EnvOpt, ServiceOpt
from envkeep.cli.state import make_context
from envkeep.client import secretfiles
from envkeep.client.launch import run_with_environment, run_with_values
from envkeep.client.offline_limit import flag_limit
from envkeep.core.errors import UsageError


def run(
    command: Annotated[list[str], typer.Argument(help="The command and its arguments, after --.")],
    env: EnvOpt = None,
    service: ServiceOpt = None,
    no_validate: Annotated[
        bool,
        typer.Option(
            "--no-validate",
            help="Run even if the schema finds errors (a --file's values are checked too).",
        ),
    ] = False,
    files: Annotated[
        list[Path] | None,
        typer.Option(
            "--file",
            "-f",
            metavar="<path>",
            help="Take the values from this (encrypted) .env file; its ${NAME} are expanded"
            " from the file, else from your environment. The schema of the service whose"
            " directory holds the file (else the one you are in) checks them and adds each"
            " @default neither sets.",
        ),
    ] = None,
    max_age: Annotated[
        str | None,
        typer.Option(
            "--max-age",
            help="Server down: use a kept copy up to this old (24h, 90m; 0 or off: none)."
            " Default: ENVKEEP_MAX_AGE, else 24h. Never with ENVKEEP_TOKEN (a service"
            " account's run needs the server).",
            show_default=False,
        ),
    ] = None,
    pass_token: Annotated[
        bool,
        typer.Option(
            "--pass-token",
            help="Leave ENVKEEP_TOKEN in the command's environment (it runs envkeep itself).",
        ),
    ] = False,
) -> None:
    """Run a command with the environment's values (the service's scope over the shared one).

    Example: envkeep run --env dev --service api -- uvicorn app:app

    A stored value replaces a variable of the same name in the environment run starts
    with (as doppler run does; dotenvx run keeps yours); every other variable passes on.

    envkeep's credentials (ENVKEEP_TOKEN and the ENVKEEP_*PASSPHRASE variables) are kept
    from the command; --pass-token leaves the token to a command that runs envkeep in turn
    (a deploy script in CI).
    """
    file = _one_file(files)
    if command[0].startswith("-"):  # an option run does not have, taken for the command
        raise UsageError(
            f"envkeep run has no option {command[0]}",
            hint="see envkeep run --help; the command and its own options go after --",
        )
    if file is not None:
        _refuse_format_for_file(file)
        _refuse_store_options(env=env, service=service)
    ctx = make_context()
    if max_age is not None:
        ctx.max_age = flag_limit(max_age)
    if file is not None:
        from envkeep.cli.file_passphrase import passphrase_source
        from envkeep.client.file_defaults import with_schema_defaults
        from envkeep.client.file_validation import file_service, refuse_invalid_file
        from envkeep.environ import process_environment

        passphrase = passphrase_source(ctx.settings, confirm=False)
        inherited = process_environment()
        values = secretfiles.file_values(ctx, file, passphrase, inherited)
        service = file_service(ctx, file)
        given = with_schema_defaults(ctx, service, values, inherited, file)
        if not no_validate:  # the defaults too: one expanded from ${NAME} may break the type
            refuse_invalid_file(
                ctx, service, given, file, inherited, defaulted=given.keys() - values.keys()
            )
        run_with_values(ctx, command, given, pass_token=pass_token)
    run_with_environment(
        ctx, env, service, command, validate=not no_validate, pass_token=pass_token
    )


def _one_file(files: list[Path] | None) -> Path | None:
    """The one --file given; several are refused: click would keep the last alone, and
    `dotenvx run -f .env -f .env.local` users expect them layered."""
    if not files:
        return None
    if len(files) > 1:
        raise UsageError(
            f"run takes one --file; {len(files)} were given",
            hint="import the files into an environment in turn (envkeep import .env, then"
            " envkeep import .env.local --on-conflict overwrite) and run from it",
        )
    return files[0]


def _refuse_format_for_file(file: Path) -> None:
    """``run -f json``: in `export`, ``-f`` is ``--format``; here it names a file to read, and
    a missing file named like a format is that slip."""
    if file.exists() or str(file) != file.name:
        return
    from envkeep.integrations.exporters import EXPORTERS, FORMAT_ALIASES

    if file.name in EXPORTERS or file.name in FORMAT_ALIASES:
        raise UsageError(
            f"{file} not found: run's -f is --file, a .env file to take the values from (in"
            " export, -f is --format)",
            hint="to run with the store's values: envkeep run --env ENV -- COMMAND",
        )


def _refuse_store_options(*, env: str | None, service: str | None) -> None:
    """--file takes every value from the file (its header names its key): options that pick
    what to read from the store would be silently ignored, so they are refused."""
    given = [name for name, on in (("--env", env), ("--service", service)) if on]
    if given:
        raise UsageError(
            f"--file runs with the file's values alone; {', '.join(given)} would not apply",
            hint="drop " + " and ".join(given) + ", or drop --file to read the store",
        )
