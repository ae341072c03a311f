"""An import into several scopes of one environment as one batch: every scope planned against
one read of the environment, checked, and written all together or not at all.

`variables.import_values` writes one scope; a command importing ten services' files into ten
scopes used to write one batch per scope, so a conflict or a schema refusal in the seventh
left six written. Here a refusal anywhere writes nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.app.reads import SHARED_SCOPE
from envkeep.client.assignments import check_storable
from envkeep.client.broken_references import unresolved_by_writes
from envkeep.client.conflicts import write_scoped_changes
from envkeep.client.opening import open_for_write
from envkeep.client.variables import ImportPlan, check_import
from envkeep.client.write_checks import refuse_violations_across, schemas_to_check
from envkeep.core.errors import ConflictError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from envkeep.client.broken_references import Unresolved
    from envkeep.client.context import ClientContext
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
    """Import each scope's values (as `import_values` does one scope's) in one batch; the
    plans in ``scoped``'s order. A conflict (``fail``), a value a schema refuses, or an
    unknown service in any scope writes nothing."""
    for service, values in scoped:
        check_import(values, service, on_conflict)
        for name, value in values.items():
            check_storable(name, value)
    schemas = schemas_to_check(ctx) if check else {}
    opened = open_for_write(ctx, env, None, every_scope=True)
    for service, _ in scoped:  # each service checked to exist, as a one-scope import does
        _refuse_unknown_service(ctx, opened, service)
    found = [_scope_plan(opened, service, values) for service, values in scoped]
    _refuse_conflicts(env, scoped, found, on_conflict)
    changes = {
        service: _written(values, plan, on_conflict)
        for (service, values), plan in zip(scoped, found, strict=True)
    }
    refuse_violations_across(ctx, opened, changes, schemas)
    unresolved = unresolved_by_writes(ctx, opened, changes)
    stored = {opened.scope_for(service): written for service, written in changes.items()}
    if any(stored.values()):
        write_scoped_changes(ctx, opened, stored, confirmed=confirmed, progress=progress)
    return [
        _finished(plan, _unresolved_in(unresolved, service), on_conflict)
        for (service, _), plan in zip(scoped, found, strict=True)
    ]


def _refuse_unknown_service(
    ctx: ClientContext, opened: OpenEnvironment, service: str | None
) -> None:
    """Refuse a service the environment's read does not know, naming those it does."""
    known = [s.name for s in opened.snapshot.services]
    if service is not None and service not in known:
        from envkeep.app.not_found import service_not_found

        raise service_not_found(service, ctx.project_file.project, known)


def _scope_plan(
    opened: OpenEnvironment, service: str | None, values: Mapping[str, str]
) -> ImportPlan:
    """What importing ``values`` into one scope would do against ``opened`` (``skipped``:
    the names set there to another value, whatever --on-conflict makes of them)."""
    current = {v.name: v.value for v in opened.variables(opened.scope_for(service))}
    return ImportPlan(
        new=tuple(n for n in values if n not in current),
        changed=(),
        unchanged=tuple(n for n in values if n in current and current[n] == values[n]),
        skipped=tuple(n for n in values if n in current and current[n] != values[n]),
    )


def _refuse_conflicts(
    env: str, scoped: Sequence[ScopeValues], found: Sequence[ImportPlan], on_conflict: str
) -> None:
    if on_conflict != "fail":
        return
    named = [
        f"{_shown(plan.skipped)} ({'shared' if service is None else f'service {service}'})"
        for (service, _), plan in zip(scoped, found, strict=True)
        if plan.skipped
    ]
    if named:
        count = sum(len(plan.skipped) for plan in found)
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


def _finished(plan: ImportPlan, unresolved: tuple[Unresolved, ...], on_conflict: str) -> ImportPlan:
    """The plan as written: a conflict is overwritten or skipped, as --on-conflict chose."""
    overwrite = on_conflict == "overwrite"
    return ImportPlan(
        new=plan.new,
        changed=plan.skipped if overwrite else (),
        unchanged=plan.unchanged,
        skipped=() if overwrite else plan.skipped,
        unresolved=unresolved,
    )
