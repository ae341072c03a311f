"""`envkeep server …`: run a team server, migrate its database, bootstrap the first admin."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from envkeep.cli import output
from envkeep.cli.server_options import ConfigOpt, DbOpt
from envkeep.core.errors import UsageError
from envkeep.server_settings import (
    ServerSettings,
    default_database,
    server_database,
    server_settings,
)
from envkeep.settings import load_settings

server_app = typer.Typer(
    help="Run the team server (FastAPI) over SQLite or PostgreSQL.\n\n"
    "Each setting comes from its flag, else ENVKEEP_SERVER_HOST, _PORT, _DB, _RATE, "
    "_RATE_STORE, _TRUSTED_PROXIES, _SHUTDOWN_TIMEOUT, _CORS_ORIGINS, _TOKEN_MAX_LIFETIME,"
    " _POOL_SIZE, _LOG_FORMAT, _METRICS_PORT, _METRICS_HOST or _MIGRATE, else the --config file"
    " (TOML keys: host, port, db, rate, rate_store, trusted_proxies, shutdown_timeout,"
    " cors_origins, token_max_lifetime, pool_size, log_format, metrics_port, metrics_host,"
    " migrate), else the default;"
    " for migrate and"
    " bootstrap too, which take only --db and --config (before or after their name).\n\n"
    "Example: envkeep server --config /etc/envkeep/server.toml",
    invoke_without_command=True,
)


def subcommand_database(ctx: typer.Context, config: Path | None, db: str | None) -> str:
    """The database a `server` subcommand acts on: --db, then ENVKEEP_SERVER_DB, then the
    file; --db and --config given to `server` (`server --db URL migrate`) count as the
    subcommand's own. Every subcommand asks it first: its options are then all taken, and a
    SIGTERM held since the start is let go (`start_sigterm.released`): from here one kills
    the subcommand, as any command's."""
    from envkeep.api.start_sigterm import released

    config = _once(ctx, "--config", config, ctx.meta.get("server_config"))
    db = _once(ctx, "--db", db, ctx.meta.get("server_db"))
    database = server_database(load_settings(), config=config, db=db)
    released()
    return database


T = TypeVar("T")


def _once(ctx: typer.Context, flag: str, own: T | None, group: T | None) -> T | None:
    """The option given after the subcommand or before it; refused when both, differently."""
    if own is not None and group is not None and own != group:
        raise UsageError(
            f"{flag} is given twice, differently: before and after `{ctx.info_name}`",
            hint=f"give {flag} once",
        )
    return own if own is not None else group


def _refuse_serving_options(command: str, given: dict[str, object]) -> None:
    """`server --port 1 migrate`: the serving options mean nothing to a subcommand, and were
    silently dropped."""
    named = [f"--{name.replace('_', '-')}" for name, value in given.items() if value is not None]
    if named:
        raise UsageError(
            f"{', '.join(named)}: only for serving (`envkeep server`), not `server {command}`",
            hint=f"of `server`'s options, {command} takes only --db and --config",
        )


@server_app.callback()
def server(
    ctx: typer.Context,
    host: Annotated[
        str | None,
        typer.Option(help="Address to bind (default 127.0.0.1; :: takes IPv6 and IPv4 clients)."),
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8600).")] = None,
    db: DbOpt = None,
    rate: Annotated[
        float | None, typer.Option(help="Requests/s per IP and per principal (0: off; 50).")
    ] = None,
    rate_store: Annotated[
        str | None,
        typer.Option(help="memory (default) or database: share rate limits across processes."),
    ] = None,
    trusted_proxies: Annotated[
        str | None,
        typer.Option(
            help="Proxies (IPs, networks; comma-separated) whose X-Forwarded-For names the"
            " client; none by default."
        ),
    ] = None,
    shutdown_timeout: Annotated[
        int | None,
        typer.Option(
            help="Seconds running requests get after SIGTERM before they are cancelled"
            " (1-3600; 20)."
        ),
    ] = None,
    cors_origin: Annotated[
        list[str] | None,
        typer.Option(
            help="A web origin whose pages may call the API from a browser (CORS), e.g."
            " https://app.example.com (repeatable; none by default).",
        ),
    ] = None,
    token_max_lifetime: Annotated[
        str | None,
        typer.Option(
            help="The longest a service-account token made or rotated may live, e.g. 90d;"
            " tokens made without --expires get it (off: no maximum; the default).",
        ),
    ] = None,
    pool_size: Annotated[
        int | None,
        typer.Option(
            help="The most connections this process opens to PostgreSQL, all pools together"
            " (2-1000; 15).",
        ),
    ] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            help="Serve /metrics on this port alone, not on the API's (which then answers it"
            " 404); none by default.",
        ),
    ] = None,
    metrics_host: Annotated[
        str | None,
        typer.Option(help="The address of --metrics-port (default 127.0.0.1)."),
    ] = None,
    log_format: Annotated[
        str | None,
        typer.Option(
            help="json (default): one object a line, for a log collector; text: readable"
            " lines with the same fields.",
        ),
    ] = None,
    migrate: Annotated[
        bool | None,
        typer.Option(
            "--migrate/--no-migrate",
            help="Bring the database to this envkeep's schema, then serve (off by default: a"
            " database behind is refused, with the command to run).",
        ),
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Serve the API under /v1 (plus /healthz, /readyz, /metrics, /docs).

    Each setting comes from its flag, else ENVKEEP_SERVER_HOST/PORT/DB/RATE/RATE_STORE/
    TRUSTED_PROXIES/SHUTDOWN_TIMEOUT/CORS_ORIGINS/TOKEN_MAX_LIFETIME/POOL_SIZE/LOG_FORMAT/
    METRICS_PORT/METRICS_HOST/MIGRATE, else the --config file (TOML: host, port, db, rate,
    rate_store, trusted_proxies, shutdown_timeout, cors_origins, token_max_lifetime,
    pool_size, log_format, metrics_port, metrics_host, migrate), else the default.
    Example: envkeep server --migrate --port 8600 --db postgresql://envkeep@db/envkeep
    """
    ctx.meta["server_config"], ctx.meta["server_db"] = config, db
    if ctx.invoked_subcommand is not None:
        serving: dict[str, object] = {
            "host": host,
            "port": port,
            "rate": rate,
            "rate_store": rate_store,
            "trusted_proxies": trusted_proxies,
            "shutdown_timeout": shutdown_timeout,
            "cors_origin": cors_origin,
            "token_max_lifetime": token_max_lifetime,
            "pool_size": pool_size,
            "log_format": log_format,
            "metrics_port": metrics_port,
            "metrics_host": metrics_host,
            "migrate": migrate,
        }
        # The SIGTERM held since the start stays held: the subcommand's own options are
        # parsed after this, and an error in them ends it with its status (2), not the signal.
        _refuse_serving_options(ctx.invoked_subcommand, serving)
        return
    chosen = server_settings(
        load_settings(),
        config=config,
        host=host,
        port=port,
        db=db,
        rate=rate,
        rate_store=rate_store,
        trusted_proxies=trusted_proxies,
        shutdown_timeout=shutdown_timeout,
        cors_origins=cors_origin,
        token_max_lifetime=token_max_lifetime,
        pool_size=pool_size,
        log_format=log_format,
        metrics_host=metrics_host,
        metrics_port=metrics_port,
        migrate=migrate,
    )
    _serve(chosen)


def _serve(chosen: ServerSettings) -> None:
    from envkeep.api.listening import shown_address
    from envkeep.api.requestlog import configure_logging
    from envkeep.api.start_sigterm import taken

    # The process's logging, set here once (`run_app` logs through it): a stop while the app
    # is built says so in the format asked for.
    configure_logging(chosen.log_format)
    if chosen.migrate:
        from envkeep.api.server_database import sole_server

        # Before SIGTERM is taken: one held meanwhile stops the start once the migration is
        # done, never halfway; and not under a server that already serves the file.
        with sole_server(chosen.db):
            _migrated(chosen.db)
    # From here a SIGTERM ends the start with its line and 143, its sockets closed.
    with taken(shown_address(chosen.host, chosen.port)):
        _start(chosen)


def _start(chosen: ServerSettings) -> None:
    from envkeep.api.listening import address, bound_socket, listening_sockets, shown_urls
    from envkeep.api.serve import ServerStart, build_app, run_app
    from envkeep.api.server_database import shown_url, sole_server

    app = build_app(chosen)
    # A SQLite file takes one server process. Its ports are bound once, here, before the start
    # is announced, and those sockets served: no one takes them meanwhile; closed however it ends.
    with sole_server(chosen.db), contextlib.ExitStack() as held:
        bound = listening_sockets(chosen.host, chosen.port)
        listening = [held.enter_context(each) for each in bound]
        metrics, metrics_socket = "", None
        if chosen.metrics_port is not None:
            metrics_socket = held.enter_context(
                bound_socket(chosen.metrics_host, chosen.metrics_port, "--metrics-port")
            )
            metrics = f"; metrics: http://{address(chosen.metrics_host, chosen.metrics_port)}"
        _warn_of_loose_file(chosen.db)
        announced = (
            f"envkeep server on {shown_urls(chosen.host, chosen.port)}"
            f" (database: {shown_url(chosen.db)}{metrics})"
        )
        run_app(
            app,
            ServerStart(
                chosen,
                tuple(listening),
                metrics_socket,
                announce=lambda: output.done(announced),
            ),
        )


@server_app.command("migrate")
def migrate(ctx: typer.Context, db: DbOpt = None, config: ConfigOpt = None) -> None:
    """Bring the server's database to the newest schema.

    Example: envkeep server migrate --db postgresql://envkeep@db/envkeep
    """
    database = subcommand_database(ctx, config, db=db)
    _migrated(database)
    _warn_of_loose_file(database)


def _migrated(database: str) -> None:
    """Bring ``database`` to the newest schema and say so (`server migrate`, `server
    --migrate`)."""
    from envkeep.api.serve import migrate as run_migrations
    from envkeep.api.server_database import shown_url
    from envkeep.core.files import make_private_directory

    settings = load_settings()
    if database == default_database(settings) and not settings.server_db:
        # The default file under ENVKEEP_HOME: its directory is envkeep's to make.
        make_private_directory(settings.home / "server")
    before, after = run_migrations(database)
    output.done(f"database schema: {before or 'empty'} -> {after} ({shown_url(database)})")


def _warn_of_loose_file(database: str) -> None:
    """One line on stderr when the server's SQLite file is open to others than its owner
    (`server` and `server migrate`: an operator may run either alone)."""
    from envkeep.api.server_database import loose_database_file

    if warning := loose_database_file(database):
        output.done(f"warning: {warning}")


@server_app.command("bootstrap")
def bootstrap(
    ctx: typer.Context,
    email: Annotated[str, typer.Option(help="The first admin's email.")],
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Print a one-time invite code for the first admin (there is no default password).

    Example: envkeep server bootstrap --email admin@example.com
    """
    from envkeep.api.serve import bootstrap as make_invite

    code, replaced = make_invite(subcommand_database(ctx, config, db=db), email)
    sys.stdout.write(code + "\n")
    output.done(f"give this code to {email}; it works once, for 24 hours: envkeep join URL CODE")
    if replaced:
        whom = ", ".join(sorted(set(replaced)))
        output.done(
            f"note: it replaces the earlier code made for {whom}, which no longer works (one"
            " founding code at a time)"
        )


from envkeep.cli.server_backup import backup as _backup  # noqa: E402 - one line to register it

server_app.command("backup")(_backup)

from envkeep.cli.server_copy import copy as _copy  # noqa: E402 - as backup

server_app.command("copy")(_copy)
