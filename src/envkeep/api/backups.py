"""`envkeep server backup`: from the server's database URL to a verified copy. SQLite's is
copied by `store.backup`; PostgreSQL's is refused with the ``pg_dump`` command that does the
job there (a dump is PostgreSQL's own business, and doing it here would add nothing)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import make_url

from envkeep.core.errors import UsageError
from envkeep.store.backup import Backup, back_up
from envkeep.store.database_url import is_postgresql, sqlite_file

__all__ = ["Backup", "back_up_database", "pg_dump_command"]


def back_up_database(database_url: str, out: Path, *, force: bool = False) -> Backup:
    """Copy the live SQLite database ``database_url`` names to ``out`` (`store.back_up`)."""
    return back_up(sqlite_path(database_url), out, force=force)


def pg_dump_command(database_url: str) -> str:
    """The command that backs up a PostgreSQL database, its password left out (pg_dump reads
    it from PGPASSWORD or ~/.pgpass, never the command line, which `ps` shows). Under umask
    077: pg_dump makes its file as the umask says (0644 as a rule), and the dump holds what the
    database holds (login verifiers, wrapped keys, emails, the audit trail), as ``back_up``'s
    0600 copy does."""
    url = make_url(database_url)
    parts = ["(umask 077; pg_dump --format=custom --file=envkeep.dump"]
    parts += [f"--host={url.host}"] if url.host else []
    parts += [f"--port={url.port}"] if url.port else []
    parts += [f"--username={url.username}"] if url.username else []
    parts.append(url.database or "envkeep")
    return " ".join(parts) + ")"


def sqlite_path(database_url: str) -> Path:
    """The file a ``sqlite:///`` URL names; a PostgreSQL URL or anything else is refused with
    what to use instead."""
    if is_postgresql(database_url):
        raise UsageError(
            "server backup copies SQLite databases; back up PostgreSQL with pg_dump",
            hint=f"e.g. {pg_dump_command(database_url)} (restore, every server stopped:"
            " pg_restore --clean --if-exists --single-transaction --dbname=… envkeep.dump);"
            " see docs/deploy.md",
        )
    path = sqlite_file(database_url)
    if path is None:
        raise UsageError(
            "server backup needs the database's file: sqlite:///PATH",
            hint="give --db sqlite:///PATH (or set ENVKEEP_SERVER_DB)",
        )
    return path
