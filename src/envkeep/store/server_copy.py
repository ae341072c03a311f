"""Copying a server's database into another, empty one (`envkeep server copy`): SQLite to
PostgreSQL as a team outgrows one process, or back.

Both databases are at this code's schema (``api.server_copies`` checks the source and
migrates an empty target first). The source is read in one snapshot (SQLite: one read
transaction of a file opened read-only, no server holding it; PostgreSQL: one REPEATABLE
READ transaction); the target is written in one transaction, all or nothing. Rows go table by
table in foreign-key order, streamed in batches, never a table in memory.

Before the target's transaction commits the copy is checked: each table holds as many rows as
the source's, and every workspace's audit chain verifies there (`core.auditchain`). The two
traps of the copy made by hand in session 40 (docs/design.md) are handled here: the
``server_secrets`` row ``server migrate`` wrote on the target is replaced by the source's (the
fake prelogin salts stay the ones clients were already answered with), and PostgreSQL's id
sequences are set past the copied ids (at 1 they made the first write fail 409).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, Integer, exc, func, select, text

from envkeep.core.auditchain import EventView, verify_chain
from envkeep.core.errors import StoreError, UsageError
from envkeep.store.models import AuditEvent, Base, Workspace

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine, RowMapping, Table

# Foreign-key order: a row's parents are copied before it.
TABLES: tuple[Table, ...] = tuple(Base.metadata.sorted_tables)
# The deployment's own rows, not its users': `server migrate` wrote the target's prelogin key,
# and rate buckets are counters. The source's replace them; any other row refuses the target.
REPLACED = ("server_secrets", "rate_buckets")
BATCH = 1000

# After each batch a table's rows so far (a test fails a copy halfway through with it).
Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class CopiedRows:
    """What a copy wrote: rows per table (equal in both databases) and the workspaces whose
    audit chain verified on the target."""

    rows: Mapping[str, int]
    workspaces: int

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def copy_rows(
    source: Engine, target: Engine, *, batch: int = BATCH, progress: Progress | None = None
) -> CopiedRows:
    """Copy every row of ``source`` into the empty ``target`` (both at this code's schema),
    checked, in one transaction on the target."""
    with (
        source.connect() as reading,
        _snapshot(reading),
        target.connect() as writing,
        writing.begin(),
    ):
        _hold_tables(writing)
        refuse_data(writing)
        for name in REPLACED:
            writing.execute(Base.metadata.tables[name].delete())
        rows = {t.name: _copy_table(reading, writing, t, batch, progress) for t in TABLES}
        _advance_sequences(writing)
        _check_counts(reading, writing, rows)
        workspaces = _check_chains(reading, writing)
    return CopiedRows(rows, workspaces)


@contextmanager
def _snapshot(reading: Connection) -> Iterator[None]:
    """One transaction over the whole read: the rows of every table from one moment."""
    if reading.dialect.name == "postgresql":
        reading.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    with reading.begin():
        yield


def _hold_tables(writing: Connection) -> None:
    """On PostgreSQL, keep every other writer of the target out until the copy commits (a
    server started on it too early waits, and then finds the copy whole)."""
    if writing.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in TABLES)
        writing.exec_driver_sql(f"LOCK TABLE {names} IN EXCLUSIVE MODE")


def held_data(connection: Connection) -> list[str]:
    """The tables of a database that hold rows of accounts or workspaces (not `REPLACED`)."""
    return [
        t.name
        for t in TABLES
        if t.name not in REPLACED
        and connection.execute(select(text("1")).select_from(t).limit(1)).first() is not None
    ]


def refuse_data(connection: Connection) -> None:
    """Refuse a target that holds any account or workspace data: a copy only fills an empty
    database (merging two servers' rows would mix their ids and audit chains)."""
    tables = held_data(connection)
    if tables:
        raise UsageError(
            f"the target already holds data (rows in {', '.join(tables)}); nothing was"
            " written: server copy fills only an empty database",
            hint="give --to a new, empty database (e.g. createdb envkeep_new), or drop and"
            " create this one again",
        )


def _copy_table(
    reading: Connection, writing: Connection, table: Table, batch: int, progress: Progress | None
) -> int:
    """Stream ``table``'s rows from the source into the target, ``batch`` at a time."""
    order = list(table.primary_key.columns)
    result = reading.execute(select(table).order_by(*order), execution_options={"yield_per": batch})
    instants = [c.name for c in table.columns if isinstance(c.type, DateTime)]
    copied = 0
    for part in result.partitions(batch):
        rows = [_portable(row._mapping, instants) for row in part]
        _insert(writing, table, rows)
        copied += len(rows)
        if progress is not None:
            progress(table.name, copied)
    return copied


def _portable(row: RowMapping, instants: list[str]) -> dict[str, Any]:
    """A row as the target must take it: every time an aware UTC one. SQLite gives them back
    without a zone (they were written in UTC); PostgreSQL would read a naive one in its
    session's time zone, and a server not on UTC would move every expiry."""
    copied = dict(row)
    for name in instants:
        moment = copied[name]
        if isinstance(moment, datetime):
            aware = moment.tzinfo is not None
            copied[name] = moment.astimezone(UTC) if aware else moment.replace(tzinfo=UTC)
    return copied


def _insert(writing: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert a batch; a row the target refuses (text longer than its column, which SQLite
    never checks) ends the copy, naming the table and what the database said."""
    try:
        if writing.dialect.name == "postgresql":
            _copy_in(writing, table, rows)
        else:
            writing.execute(table.insert(), rows)
    except exc.DBAPIError as refused:
        raise _refused(table, refused.orig or "no answer") from None


def _copy_in(writing: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """A batch by PostgreSQL's COPY, on the transaction's own connection: executemany sent a
    statement per row (100,000 audit events and as many versions: 61 s, 50 of them there)."""
    import psycopg
    from psycopg import sql

    columns = [c.name for c in table.columns]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    driver = writing.connection.driver_connection
    assert driver is not None
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([row[name] for name in columns])
    except psycopg.Error as refused:
        raise _refused(table, refused) from None


def _refused(table: Table, said: object) -> StoreError:
    """The database refused a batch of ``table``: its first line only (a later one, COPY's
    context, may quote the row)."""
    first = str(said).strip().splitlines()[0] if str(said).strip() else "no answer"
    return StoreError(
        f"the target refused a row of {table.name}: {first}; nothing was written",
        hint="fix that row in the source (or report this with the envkeep version), then"
        " run server copy again",
    )


def _advance_sequences(writing: Connection) -> None:
    """Set each PostgreSQL id sequence past the copied ids: rows inserted with their ids leave
    it at 1, and the next insert would take an id already there. (SQLite takes max + 1.)"""
    if writing.dialect.name != "postgresql":
        return
    for table in TABLES:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer):
            continue
        highest = select(func.max(keys[0])).scalar_subquery()
        sequence = func.pg_get_serial_sequence(table.name, keys[0].name)
        writing.execute(select(func.setval(sequence, func.coalesce(highest, 0) + 1, False)))


def _check_counts(reading: Connection, writing: Connection, rows: Mapping[str, int]) -> None:
    """Each table holds on the target as many rows as the source's snapshot, and as were
    streamed."""
    for table in TABLES:
        counted = select(func.count()).select_from(table)
        source, target = reading.execute(counted).scalar(), writing.execute(counted).scalar()
        if not source == target == rows[table.name]:
            raise StoreError(
                f"the copy of {table.name} holds {target} rows, the source {source}; nothing"
                " was written",
                hint="run server copy again, every server on the source stopped",
            )


def _check_chains(reading: Connection, writing: Connection) -> int:
    """Verify every workspace's audit chain as the target holds it; how many there are. A
    break is looked for in the source too: one already there is the source's to name."""
    workspaces = list(writing.execute(select(Workspace.id).order_by(Workspace.id)).scalars())
    for workspace_id in workspaces:
        broken = _broken_at(writing, workspace_id)
        if broken is None:
            continue
        if _broken_at(reading, workspace_id) == broken:
            raise StoreError(
                f"the source's audit trail of workspace {workspace_id} already breaks at event"
                f" {broken}: server copy carries only an intact trail over; nothing was written",
                hint="see the break with envkeep audit verify against a server on the source;"
                " copy a backup made before it instead, or keep serving from the source",
            )
        raise StoreError(
            f"the copy's audit trail of workspace {workspace_id} breaks at event {broken},"
            " though the source's holds there; nothing was written",
            hint="report this with the envkeep version and both databases' kinds; the source"
            " is unchanged and keeps serving",
        )
    return len(workspaces)


def _broken_at(connection: Connection, workspace_id: str) -> int | None:
    """Where ``workspace_id``'s audit chain breaks in this database (None: intact)."""
    events = AuditEvent.__table__
    rows = connection.execute(
        select(events).where(events.c.workspace_id == workspace_id).order_by(events.c.seq),
        execution_options={"yield_per": BATCH},
    )
    return verify_chain(_event_view(row._mapping) for row in rows)


_VIEW_FIELDS = tuple(f.name for f in fields(EventView))


def _event_view(row: RowMapping) -> EventView:
    return EventView(**{name: row[name] for name in _VIEW_FIELDS})
