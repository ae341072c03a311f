"""`envkeep server …`: run a team server, migrate its database, bootstrap the first admin."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from envkeep.cli import output
from envkeep.settings import load_settings

server_app = typer.Typer(
    help="Run the team server (FastAPI) over SQLite or PostgreSQL.", invoke_without_command=True
)

DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="sqlite:///PATH or postgresql://… (default: ENVKEEP_SERVER_DB)."),
]


@server_app.callback()
def server(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8600).")] = None,
    db: DbOpt = None,
) -> None:
    """Serve the API under /v1 (plus /healthz, /readyz, /metrics, /docs).

    Settings: flags, then ENVKEEP_SERVER_HOST/PORT/DB, then the defaults.
    Example: envkeep server --port 8600 --db postgresql://envkeep@db/envkeep
    """
    if ctx.invoked_subcommand is not None:
        return
    from envkeep.api.serve import serve

    settings = load_settings()
    url = db or settings.server_database
    chosen_host, chosen_port = host or settings.server_host, port or settings.server_port
    output.done(f"envkeep server on http://{chosen_host}:{chosen_port} (database: {_shown(url)})")
    serve(url, host=chosen_host, port=chosen_port, rate=settings.server_rate)


def _shown(url: str) -> str:
    head, at, tail = url.rpartition("@")
    return f"{head.split('://')[0]}://…@{tail}" if at else url  # never print a password


@server_app.command("migrate")
def migrate(db: DbOpt = None) -> None:
    """Bring the server's database to the newest schema.

    Example: envkeep server migrate --db postgresql://envkeep@db/envkeep
    """
    from envkeep.api.serve import migrate as run_migrations

    url = db or load_settings().server_database
    before, after = run_migrations(url)
    output.done(f"database schema: {before or 'empty'} -> {after}")


@server_app.command("bootstrap")
def bootstrap(
    email: Annotated[str, typer.Option(help="The first admin's email.")],
    db: DbOpt = None,
) -> None:
    """Print a one-time invite code for the first admin (there is no default password).

    Example: envkeep server bootstrap --email admin@example.com
    """
    from envkeep.api.serve import bootstrap as make_invite

    code = make_invite(db or load_settings().server_database, email)
    sys.stdout.write(code + "\n")
    output.done(f"give this code to {email}; it works once, for 24 hours: envkeep join URL CODE")
