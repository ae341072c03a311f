"""Client use cases that write variables into one scope: set, unset and import.

Writes are checked against the schemas of the services that will see them, the values that
refer to a written name included (`write_checks`, unless ``check=False``); an unset reports the
references it leaves dangling (`broken_references`). What a write is given is checked first
(`assignments`); an import is planned and written by `import_batch` (one scope of it);
reading values: `resolving`; a variable's history and rollback: `variable_history`.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.client.assignments import check_references
from envkeep.client.conflicts import write_changes, write_planned
from envkeep.client.opening import open_for_write
from envkeep.client.variable_not_found import variable_not_found
from envkeep.client.write_checks import refuse_violations, schemas_to_check

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from envkeep.client.broken_references import BrokenReference, Unresolved
    from envkeep.client.context import ClientContext
    from envkeep.client.shadowed_shared import Shadowed
    from envkeep.client.vault import OpenEnvironment
    from envkeep.core.schema import Schema


@dataclass(frozen=True)
class Written:
    """What a set did: how many variables, and the values written that do not resolve."""

    count: int
    unresolved: tuple[Unresolved, ...]
    typos: tuple[str, ...] = ()  # warnings: a new name very like one a schema declares
    # --no-validate: what a schema would have refused in it (run and export will), if anything
    unchecked: str | None = None
    # a shared write: the names written that services override (`shadowed_shared`)
    shadowed: tuple[Shadowed, ...] = ()


def set_variables(
    ctx: ClientContext,
    env: str,
    service: str | None,
    values: Mapping[str, str],
    *,
    confirmed: bool = False,
    check: bool = True,
) -> Written:
    """Write new versions of ``values`` in one scope, all or nothing; say how many, and which
    written values will not resolve (a warning: what they refer to may be set next). A name
    already holding its value gets no new version (history stays what changed). ``check``
    refuses the batch when a schema refuses a value (`write_checks`).

    A set is blind (the caller read nothing it writes over): when another write moved a name on
    meanwhile, the batch is read, checked and planned again, last writer winning, as parallel
    jobs setting one name expect; only after ``SET_ATTEMPTS`` such races is it a conflict."""
    from envkeep.client.conflicts import Stale

    schemas = _schemas(ctx, check=check)
    # --no-validate: the schemas read once all the same, to say what they would refuse
    unchecked = {} if check else _readable_schemas(ctx)
    once = functools.partial(
        _set_once,
        ctx,
        env,
        service,
        values,
        schemas=schemas,
        confirmed=confirmed,
        unchecked=unchecked,
    )
    for _lost in range(SET_ATTEMPTS - 1):
        with contextlib.suppress(Stale):
            return once(retry=True)
    return once(retry=False)  # the last attempt's conflict is raised, explained


SET_ATTEMPTS = 8  # each lost race is a distinct write of another: 8 racers all land


def _set_once(
    ctx: ClientContext,
    env: str,
    service: str | None,
    values: Mapping[str, str],
    *,
    schemas: dict[str, Schema],
    confirmed: bool,
    retry: bool,
    unchecked: Mapping[str, Schema],
) -> Written:
    """One attempt of `set_variables`; ``unchecked``: the schemas --no-validate did not hold
    the batch to, whose refusal is said instead (`_refused_by_schemas`)."""
    from envkeep.client.broken_references import unresolved_by_set
    from envkeep.client.name_typos import near_misses

    refers = any("${" in value for value in values.values())
    # a shared write reads every scope, to say which services override what it writes
    every_scope = bool(schemas) or refers or bool(unchecked) or service is None
    opened = open_for_write(ctx, env, service, every_scope=every_scope)
    for name, value in values.items():  # after the role: a reader is told that first
        check_references(name, value, service)
    scope = opened.scope_for(service)
    current = {v.name: v.value for v in opened.variables(scope)}
    changed = {name: value for name, value in values.items() if current.get(name) != value}
    if not changed:
        return Written(0, ())
    refuse_violations(ctx, opened, service, changed, schemas)
    refused = _refused_by_schemas(ctx, opened, service, changed, unchecked) if unchecked else None
    unresolved = unresolved_by_set(ctx, opened, service, changed)
    writes = opened.plan_writes(scope, changed)
    write_planned(ctx, opened, writes, confirmed=confirmed, retry=retry)
    new = [name for name in changed if name not in current]
    typos = tuple(near_misses(schemas, service, new))
    shadowed = _shadowed(ctx, opened, service, changed)
    return Written(len(writes), tuple(unresolved), typos, refused, shadowed)


def _shadowed(
    ctx: ClientContext, opened: OpenEnvironment, service: str | None, names: Iterable[str]
) -> tuple[Shadowed, ...]:
    """For a shared write (``service`` None), the ``names`` services override; else none."""
    from envkeep.client.shadowed_shared import shadowed_names

    return () if service is not None else shadowed_names(ctx, opened, names)


def _readable_schemas(ctx: ClientContext) -> dict[str, Schema]:
    """The schemas `set` would hold a batch to, for --no-validate's warning; none when they
    cannot be read (the reason --no-validate may have been given)."""
    from envkeep.core.errors import EnvkeepError

    try:
        return schemas_to_check(ctx)
    except EnvkeepError:
        return {}


def _refused_by_schemas(
    ctx: ClientContext,
    opened: OpenEnvironment,
    service: str | None,
    changed: Mapping[str, str],
    schemas: Mapping[str, Schema],
) -> str | None:
    """What ``schemas`` would refuse of ``changed`` (a `set --no-validate`, written all the
    same): the refusal's message, for a warning; None when they take it, or cannot check it."""
    from envkeep.core.errors import EnvkeepError, SchemaViolation

    try:
        refuse_violations(ctx, opened, service, changed, schemas)
    except SchemaViolation as refused:
        return refused.message.removesuffix("; nothing was written")
    except EnvkeepError:
        return None
    return None


def _schemas(ctx: ClientContext, *, check: bool) -> dict[str, Schema]:
    return schemas_to_check(ctx) if check else {}


@dataclass(frozen=True)
class Unset:
    """What an unset did: how many variables, and the references it left dangling."""

    count: int
    broken: tuple[BrokenReference, ...]
    shadowed: tuple[Shadowed, ...] = ()  # a shared unset: the names services still set


def unset_variables(
    ctx: ClientContext,
    env: str,
    service: str | None,
    names: list[str],
    *,
    confirmed: bool = False,
    check: bool = True,
) -> Unset:
    """Delete variables in one scope (a tombstone version each), all or nothing; name the
    references elsewhere that no longer resolve (read from the same, whole environment).
    ``check`` refuses it when a service's schema requires a name it removes (`write_checks`)."""
    from envkeep.client.broken_references import broken_by_unset

    schemas = _schemas(ctx, check=check)
    opened = open_for_write(ctx, env, service, every_scope=True)
    scope = opened.scope_for(service)
    missing = [n for n in names if opened.find(scope, n) is None]
    if missing:
        raise variable_not_found(
            ctx,
            missing[0],
            env,
            service,
            opened=opened,
            command="unset",
            present=lambda name: opened.find(scope, name) is not None,
        )
    refuse_violations(ctx, opened, service, dict.fromkeys(names), schemas)
    broken = broken_by_unset(ctx, opened, service, names)
    writes = write_changes(ctx, opened, service, dict.fromkeys(names), confirmed=confirmed)
    return Unset(len(writes), tuple(broken), _shadowed(ctx, opened, service, names))


@dataclass(frozen=True)
class ImportPlan:
    """What importing a file into one scope would do."""

    new: tuple[str, ...]
    changed: tuple[str, ...]
    unchanged: tuple[str, ...]
    skipped: tuple[str, ...]  # changed in the file, kept in the store (--on-conflict skip)
    unresolved: tuple[Unresolved, ...] = ()  # written values that do not resolve
    shadowed: tuple[Shadowed, ...] = ()  # the shared scope's: the names services override


def import_values(
    ctx: ClientContext,
    env: str,
    service: str | None,
    values: Mapping[str, str],
    *,
    on_conflict: str = "fail",
    confirmed: bool = False,
    progress: Callable[[], None] | None = None,
    check: bool = True,
) -> ImportPlan:
    """Write a file's values into one scope as one batch. A name already set to another value
    is a conflict: ``fail`` (default) writes nothing, ``skip`` keeps the stored value,
    ``overwrite`` replaces it. ``check``: the batch is refused when a schema refuses a value
    it writes (`write_checks`). The batch of `import_batch` with one scope."""
    from envkeep.client.import_batch import import_into_scopes

    (plan,) = import_into_scopes(
        ctx,
        env,
        [(service, values)],
        on_conflict=on_conflict,
        confirmed=confirmed,
        progress=progress,
        check=check,
    )
    return plan
