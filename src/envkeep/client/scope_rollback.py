"""`rollback --to-time`: every variable of one scope set back to the value it held at a time,
as one batch (a bad import undone in one command, not a rollback per name).

The scope's history says what each name held then: its last version written at or before that
time (none: it did not exist yet), read for every name at once (`history.held_at`: one request
to a server, not one per name). Values changed since are set back, names created since deleted,
names deleted since restored; every one a new version, so the history stays whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from envkeep.client.conflicts import write_scoped_changes
from envkeep.client.history import held_at
from envkeep.client.opening import open_for_write
from envkeep.client.shadowed_shared import shadowed_names
from envkeep.client.write_checks import refuse_violations, schemas_to_check
from envkeep.core.errors import PermissionDenied, UsageError
from envkeep.core.timestamps import as_utc, utc_second

if TYPE_CHECKING:
    from envkeep.client.broken_references import Unresolved
    from envkeep.client.context import ClientContext
    from envkeep.client.history import HistoryEntry
    from envkeep.client.shadowed_shared import Shadowed
    from envkeep.client.vault import OpenEnvironment

SET_BACK, DELETED, RESTORED = "set back", "deleted", "restored"


@dataclass(frozen=True)
class TimedChange:
    """One name a rollback to a time writes: ``kind`` is `SET_BACK` (changed since),
    `DELETED` (created since) or `RESTORED` (deleted since); ``value`` None deletes."""

    name: str
    kind: str
    value: str | None = field(repr=False)


@dataclass(frozen=True)
class ScopeRollback:
    """What rolling one scope back to ``moment`` writes, checked against the read ``opened``
    (a value changed since that read is a conflict at the write, a key rotated since is not).
    ``unresolved``: restored values that will not resolve (a warning, as for `set`)."""

    opened: OpenEnvironment
    scope: str
    moment: datetime
    changes: tuple[TimedChange, ...]
    unresolved: tuple[Unresolved, ...] = ()
    shadowed: tuple[Shadowed, ...] = ()  # the shared scope's: the names services override


def parse_moment(text: str, *, now: datetime | None = None) -> datetime:
    """``--to-time``: an ISO time (UTC unless it names an offset) or an age (``15m``, ``2h``,
    ``1d`` before ``now``), read as `audit --since` reads it; to the second, as versions are
    timed (a version written in that second counts as held then)."""
    from envkeep.client.audit import time_bound

    current = now or datetime.now(UTC)
    moment = as_utc(time_bound(text, now=current)).replace(microsecond=0)
    if moment > current:
        raise UsageError(
            f"--to-time {text} is {utc_second(moment)}, in the future; nothing was written",
            hint="give a past time, or an age: 15m, 2h, 1d (ago)",
        )
    return moment


def plan_scope_rollback(
    ctx: ClientContext, env: str, service: str | None, moment: datetime, *, check: bool = True
) -> ScopeRollback:
    """The changes that bring ``service``'s scope (None: shared) of ``env`` back to what it
    held at ``moment``, checked as a `set` batch is (`write_checks`, unless ``check`` is False;
    a reference cycle refused). A name whose version then is sealed (under a data key this
    reader was not given) refuses the whole of it, naming them."""
    from envkeep.client.broken_references import unresolved_by_set

    schemas = schemas_to_check(ctx) if check else {}
    opened = open_for_write(ctx, env, service, every_scope=True)
    scope = opened.scope_for(service)
    held = held_at(ctx, opened, env, scope, moment)
    sealed = [name for name, entry in held.items() if entry is not None and entry.sealed]
    if sealed:
        raise PermissionDenied(
            f"the value at {utc_second(moment)} of {', '.join(sealed)} is sealed under a key"
            " not shared with you",
            hint="an admin who holds that key can roll the scope back; nothing was written",
        )
    changes = tuple(_changes(opened, scope, held))
    wanted = {c.name: c.value for c in changes}
    refuse_violations(ctx, opened, service, wanted, schemas)
    unresolved = unresolved_by_set(ctx, opened, service, wanted) if wanted else []
    shadowed = () if service is not None else shadowed_names(ctx, opened, wanted)
    return ScopeRollback(opened, scope, moment, changes, tuple(unresolved), shadowed)


def _changes(
    opened: OpenEnvironment, scope: str, held: dict[str, HistoryEntry | None]
) -> list[TimedChange]:
    changes = []
    for name, entry in held.items():
        then = None if entry is None else entry.value
        live = opened.find(scope, name)
        now = None if live is None else live.value
        if then == now:
            continue
        kind = DELETED if then is None else RESTORED if now is None else SET_BACK
        changes.append(TimedChange(name, kind, then))
    return changes


def apply_scope_rollback(ctx: ClientContext, plan: ScopeRollback) -> int:
    """Write a planned rollback as one batch, all or nothing (confirmed by the caller); a key
    rotated since the plan's read is no conflict (`conflicts.write_scoped_changes`)."""
    if not plan.changes:
        return 0
    changes = {plan.scope: {c.name: c.value for c in plan.changes}}
    return len(write_scoped_changes(ctx, plan.opened, changes, confirmed=True))
