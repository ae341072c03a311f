"""A variable's history by name, and rolling it back to one of its versions (`rollback --to`;
a whole scope back to a time: `scope_rollback.py`).

A rollback writes a new version holding the old value, checked as `set` checks a write: the
schemas that will see it, and its references."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.client.conflicts import write_changes
from envkeep.client.history import HistoryEntry, read_history
from envkeep.client.opening import open_environment, open_for_write
from envkeep.client.resolution import where_flags
from envkeep.client.shadowed_shared import shadowed_names
from envkeep.client.variable_not_found import variable_not_found
from envkeep.client.write_checks import refuse_violations, schemas_to_check
from envkeep.core.errors import PermissionDenied, UsageError, VersionNotFound

if TYPE_CHECKING:
    from envkeep.client.broken_references import Unresolved
    from envkeep.client.context import ClientContext
    from envkeep.client.shadowed_shared import Shadowed
    from envkeep.client.vault import OpenEnvironment


def history(
    ctx: ClientContext, env: str, service: str | None, name: str, *, command: str = "history"
) -> list[HistoryEntry]:
    """Every version of a variable in one scope, oldest first (`client/history.py`).
    ``command``: the command that asked (`variable_not_found`)."""
    return history_in(ctx, open_environment(ctx, env, service), service, name, command=command)


@dataclass(frozen=True)
class ServiceHistory:
    """`history`'s versions, and whether they end in a deletion behind which the service
    sees the shared scope's value (`lift` removes an override so): said under the table,
    which otherwise read as if the service had lost the variable."""

    entries: list[HistoryEntry]
    shared_seen: bool


def service_history(ctx: ClientContext, env: str, service: str | None, name: str) -> ServiceHistory:
    """`history`, with what the service sees now read from the same opened environment."""
    opened = open_environment(ctx, env, service)
    entries = history_in(ctx, opened, service, name)
    deleted = bool(entries) and entries[-1].state == "deleted"
    return ServiceHistory(entries, deleted and _shared_seen(opened, service, name))


def _shared_seen(opened: OpenEnvironment, service: str | None, name: str) -> bool:
    """Whether ``service`` sees the shared scope's ``name`` (it holds no value of its own)."""
    if service is None:
        return False
    own = opened.find(opened.scope_for(service), name)
    return own is None and opened.find(opened.scope_for(None), name) is not None


def history_in(
    ctx: ClientContext,
    opened: OpenEnvironment,
    service: str | None,
    name: str,
    *,
    command: str = "history",
) -> list[HistoryEntry]:
    """`history` of a variable of ``opened`` (read with ``service``'s scope)."""
    env = opened.snapshot.environment.name
    scope = opened.scope_for(service)
    found = opened.find_any(scope, name)
    if found is None:
        raise variable_not_found(
            ctx,
            name,
            env,
            service,
            opened=opened,
            command=command,
            present=lambda name: opened.find_any(scope, name) is not None,
        )
    return read_history(ctx, opened, env, found[0])


def rollback(
    ctx: ClientContext,
    env: str,
    service: str | None,
    name: str,
    to: int,
    *,
    confirmed: bool = False,
    check: bool = True,
) -> RolledBack:
    """Write a new version holding version ``to``'s value, unless the variable holds it now
    (as `set` writes no version for a value unchanged). ``check``: refused when a schema
    refuses that value now (`write_checks`). Its references are checked as `set` checks them:
    refused when it would be part of a reference cycle, told when they do not resolve."""
    from envkeep.client.broken_references import unresolved_by_set

    read = open_for_write(ctx, env, service, every_scope=False)  # a reader is refused here
    entries = history_in(ctx, read, service, name, command=f"rollback --to {to}")
    target = next((e for e in entries if e.version == to), None)
    if target is None:
        raise VersionNotFound(
            f"'{name}' has no version {to} (versions 1-{entries[-1].version})",
            hint=f"see them with: envkeep history {name} {where_flags(ctx, env, service)}",
        )
    if target.sealed:
        raise PermissionDenied(
            f"version {to} of '{name}' is {target.note}",
            hint="an admin who holds that key can roll it back; or set the value anew",
        )
    if target.value is None:
        raise UsageError(
            f"version {to} of '{name}' is a deletion",
            hint=f"to delete it again: envkeep unset {name} {where_flags(ctx, env, service)}",
        )
    latest = entries[-1]
    if latest.value == target.value and not latest.sealed:
        return RolledBack(latest.version, written=False)
    schemas = schemas_to_check(ctx) if check else {}
    refers = "${" in target.value
    # a shared rollback reads every scope, to say which services override the name
    every_scope = bool(schemas) or refers or service is None
    opened = open_for_write(ctx, env, service, every_scope=every_scope)
    refuse_violations(ctx, opened, service, {name: target.value}, schemas)
    unresolved = unresolved_by_set(ctx, opened, service, {name: target.value})
    writes = write_changes(ctx, opened, service, {name: target.value}, confirmed=confirmed)
    shadowed = () if service is not None else shadowed_names(ctx, opened, [name])
    return RolledBack(writes[0].version, True, tuple(unresolved), shadowed)


@dataclass(frozen=True)
class RolledBack:
    """What a rollback left: the variable's version now, whether the rollback wrote it, and
    whether the value it wrote does not resolve (`Unresolved`: a warning, as for `set`)."""

    version: int
    written: bool
    unresolved: tuple[Unresolved, ...] = ()
    shadowed: tuple[Shadowed, ...] = ()  # a shared rollback: the services overriding the name
