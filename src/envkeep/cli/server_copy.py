"""`envkeep server copy --to URL`: move a server's data into another, empty database."""

from __future__ import annotations

from typing import Annotated

import typer

from envkeep.cli import output
from envkeep.cli.server_options import ConfigOpt, DbOpt


def copy(
    ctx: typer.Context,
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="The empty database to fill: postgresql://USER@HOST/NAME (its password from"
            " ~/.pgpass or PGPASSWORD, not the command line) or sqlite:///PATH.",
        ),
    ],
    db: DbOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Copy a server's data into an empty database (SQLite to PostgreSQL, say), all or nothing.

    Every row, in one transaction on the target, checked before it commits: row counts per
    table, and every workspace's audit chain.

    Stop the server first: a SQLite database a server holds is refused, and a PostgreSQL one
    is read in one snapshot, so what a running server writes after it is not copied. The
    source must be at this envkeep's schema (run server migrate first); a target never
    migrated is migrated; one holding accounts or workspaces is refused, nothing written.
    Then start the server on the target (docs/deploy.md).

    Example: envkeep server copy --db sqlite:////var/lib/envkeep/envkeep.db --to
    postgresql://envkeep@db.internal/envkeep
    """
    from envkeep.api.server_copies import copy_server
    from envkeep.api.server_database import shown_url
    from envkeep.cli.server_cmds import subcommand_database
    from envkeep.core.wording import counted

    source = subcommand_database(ctx, config, db)  # `server --db URL copy` too
    done = copy_server(source, to)
    tables = ", ".join(f"{name} {count:,}" for name, count in done.rows.rows.items() if count)
    migrated = " (migrated to the schema first)" if done.migrated else ""
    chains = counted(done.rows.workspaces, "workspace")
    output.done(
        f"copied {done.rows.total:,} rows from {shown_url(source)} to"
        f" {shown_url(to)}{migrated}: {tables or 'none'}; row counts equal, the audit chains of"
        f" {chains} intact"
    )
    output.done(
        "next: point ENVKEEP_SERVER_DB (or --db, or the settings file's db) at the target and"
        " start the server there"
    )
