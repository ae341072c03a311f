"""`envkeep server backup OUT`: a verified copy of a live server's SQLite database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from envkeep.cli import output
from envkeep.cli.server_options import ConfigOpt, DbOpt


def backup(
    ctx: typer.Context,
    out: Annotated[Path, typer.Argument(help="The file to write (0600).", dir_okay=False)],
    db: DbOpt = None,
    config: ConfigOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Replace OUT if it exists.")] = False,
) -> None:
    """Copy a SQLite server's database while it runs: one consistent snapshot, checked
    (integrity, schema revision), written atomically. PostgreSQL: use pg_dump.

    Restore: stop the server, put the copy in place of the database file, delete its -wal and
    -shm files, start the server (docs/deploy.md).

    Example: envkeep server backup /var/backups/envkeep-$(date +%F).db
    """
    from envkeep.api.backups import back_up_database
    from envkeep.api.server_database import shown_url
    from envkeep.cli.server_cmds import subcommand_database

    database = subcommand_database(ctx, config, db)  # `server --db URL backup` too
    made = back_up_database(database, out, force=force)
    output.done(
        f"backed up {shown_url(database)} to {made.path} (schema {made.revision},"
        f" {made.size // 1024} KiB, integrity ok)"
    )
