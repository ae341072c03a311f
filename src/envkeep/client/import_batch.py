"""An import into one or several scopes of one environment as one batch: every scope planned
against one read of the environment (`plan_import`), checked, and written all together or not
at all. `variables.import_values` is this with one scope.

A command importing ten services' files into ten scopes used to write one batch per scope, so a
conflict or a schema refusal in the seventh left six written. Here a refusal anywhere writes
nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.app.reads import SHARED_SCOPE
from envkeep.client.assignments import check_references, check_storable
from envkeep.client.broken_references import unresolved_by_writes
from envkeep.client.conflicts import write_service_changes
from envkeep.client.opening import open_for_write
from envkeep.client.shadowed_shared import shadowed_names
from envkeep.client.variables import ImportPlan
from envkeep.client.write_checks import refuse_violations_across, schemas_to_check
from envkeep.core.errors import ConflictError, UsageError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from envkeep.client.broken_references import Unresolved
    from envkeep.client.context import ClientContext
    from envkeep.client.shadowed_shared import Shadowed
    from envkeep.client.vault import OpenEnvironment

# What one scope of the batch imports: its service (None: shared) and the values.
ScopeValues = tuple[str | None, "Mapping[str, str]"]


def import_into_scopes(
    ctx: ClientContext,
    env: str,
    scoped: Sequence[ScopeValues],
    *,
    on_conflict: str = "fail",
    confirmed: bool = False,
    progress: Callable[[], None] | None = None,
    check: bool = True,
) -> list[ImportPlan]:
    """Import each scope's values in one batch; the plans in ``scoped``'s order. A name
    already set to another value is a conflict: ``fail`` (default) writes nothing, ``skip``
    keeps the stored value, ``overwrite`` replaces it. A conflict (``fail``), a value a schema
    refuses (``check``), or an unknown service in any scope writes nothing."""
    _check_on_conflict(on_conflict)
    for _, values in scoped:
        for name, value in values.items():
            check_storable(name, value)
    schemas = schemas_to_check(ctx) if check else {}
    # into the shared scope: every scope read, to say which services override what it writes
    shared = any(service is None for service, _ in scoped)
    opened = _opened(ctx, env, scoped, every_scope=bool(schemas) or _refers(scoped) or shared)
    for service, values in scoped:  # after the role: a reader is told that first
        for name, value in values.items():
            check_references(name, value, service)
    found = [plan_import(opened, service, values) for service, values in scoped]
    _refuse_conflicts(env, scoped, found, on_conflict)
    changes = {
        service: _written(values, plan, on_conflict)
        for (service, values), plan in zip(scoped, found, strict=True)
    }
    refuse_violations_across(ctx, opened, changes, schemas)
    unresolved = unresolved_by_writes(ctx, opened, changes)
    # a key rotated since the read is no conflict (`conflicts`)
    write_service_changes(ctx, opened, changes, confirmed=confirmed, progress=progress)
    shadowed = shadowed_names(ctx, opened, changes[None], batch=changes) if shared else ()
    return [
        _finished(
            plan,
            _unresolved_in(unresolved, service),
            on_conflict,
            shadowed if service is None else (),
        )
        for (service, _), plan in zip(scoped, found, strict=True)
    ]


def plan_import(
    opened: OpenEnvironment, service: str | None, values: Mapping[str, str]
) -> ImportPlan:
    """What importing ``values`` into one scope would do against ``opened``: the names it
    lacks, those holding that value already, and (``skipped``) those set there to another
    value, whatever --on-conflict makes of them."""
    current = {v.name: v.value for v in opened.variables(opened.scope_for(service))}
    return ImportPlan(
        new=tuple(n for n in values if n not in current),
        changed=(),
        unchanged=tuple(n for n in values if n in current and current[n] == values[n]),
        skipped=tuple(n for n in values if n in current and current[n] != values[n]),
    )


def _check_on_conflict(on_conflict: str) -> None:
    if on_conflict not in {"fail", "skip", "overwrite"}:
        raise UsageError(
            f"unknown --on-conflict '{on_conflict}'", hint="use skip, overwrite or fail"
        )


def _refers(scoped: Sequence[ScopeValues]) -> bool:
    return any("${" in value for _, values in scoped for value in values.values())


def _opened(
    ctx: ClientContext, env: str, scoped: Sequence[ScopeValues], *, every_scope: bool
) -> OpenEnvironment:
    """The environment read for the batch: one scope's import reads that scope (and the
    shared one) unless its checks need every scope; several read every scope. Each service is
    checked to exist."""
    services = [service for service, _ in scoped]
    first = services[0] if services else None
    opened = open_for_write(ctx, env, first, every_scope=every_scope or len(services) > 1)
    for service in services[1:]:
        _refuse_unknown_service(ctx, opened, service)
    return opened


def _refuse_unknown_service(
    ctx: ClientContext, opened: OpenEnvironment, service: str | None
) -> None:
    """Refuse a service the environment's read does not know, naming those it does."""
    known = [s.name for s in opened.snapshot.services]
    if service is not None and service not in known:
        from envkeep.app.not_found import service_not_found

        raise service_not_found(service, ctx.project_file.project, known)


def _refuse_conflicts(
    env: str, scoped: Sequence[ScopeValues], found: Sequence[ImportPlan], on_conflict: str
) -> None:
    """With ``fail``, refuse the batch when a name is set to another value; several scopes'
    refusal names the scope of each."""
    count = sum(len(plan.skipped) for plan in found)
    if on_conflict != "fail" or not count:
        return
    if len(scoped) == 1:
        raise ConflictError(
            f"{count} already set to other values in '{env}': {_shown(found[0].skipped)}",
            hint="nothing was written; choose --on-conflict overwrite or skip",
        )
    named = [
        f"{_shown(plan.skipped)} ({'shared' if service is None else f'service {service}'})"
        for (service, _), plan in zip(scoped, found, strict=True)
        if plan.skipped
    ]
    raise ConflictError(
        f"{count} already set to other values in '{env}': {'; '.join(named)}",
        hint="nothing was written, in any scope; choose --on-conflict overwrite or skip",
    )


def _shown(names: Sequence[str]) -> str:
    return ", ".join(names[:5]) + (" …" if len(names) > 5 else "")


def _written(
    values: Mapping[str, str], plan: ImportPlan, on_conflict: str
) -> dict[str, str | None]:
    """The values a scope's part of the batch writes: new names, and with ``overwrite`` the
    names set to another value."""
    names = [*plan.new, *(plan.skipped if on_conflict == "overwrite" else ())]
    return {name: values[name] for name in names}


def _unresolved_in(unresolved: Sequence[Unresolved], service: str | None) -> tuple[Unresolved, ...]:
    """The values written to ``service``'s scope that do not resolve."""
    return tuple(u for u in unresolved if u.scope == (service or SHARED_SCOPE))


def _finished(
    plan: ImportPlan,
    unresolved: tuple[Unresolved, ...],
    on_conflict: str,
    shadowed: tuple[Shadowed, ...],
) -> ImportPlan:
    """The plan as written: a conflict is overwritten or skipped, as --on-conflict chose;
    ``shadowed``: for the shared scope, the names it wrote that services override."""
    overwrite = on_conflict == "overwrite"
    return ImportPlan(
        new=plan.new,
        changed=plan.skipped if overwrite else (),
        unchanged=plan.unchanged,
        skipped=() if overwrite else plan.skipped,
        unresolved=unresolved,
        shadowed=shadowed,
    )
