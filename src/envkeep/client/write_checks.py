"""Checking values before they are written, against the schema of each service that will see
them: ``set PORT=abc`` is refused when it is typed, not when `validate` or `run` meets it.

A write to a service's scope answers to that service's schema; a write to the shared scope to
the schema of every service that declares the name and does not set it itself. The values that
refer to a written name (``${NAME}``, ``${svc.NAME}``, directly or through other values) answer
too, in every service that declares them: ``set X=abc`` is refused when api's ``DB_URL`` is
``${X}`` and api's schema wants a url. Only what the write changes is judged (each service is
resolved before and after it), so a value already wrong, and left as it is, blocks no unrelated
write. What is checked is the value those services will see, references expanded, without this
machine's personal overrides (the write is for everyone). An unset is refused when it leaves a
service without a value its schema requires (no default, and set before it). A reference the
write leaves broken is no type's problem (`broken_references` warns of those an unset leaves).
A service without a schema, or whose schema cannot be read, is not checked here: `validate`
and `run` say what is wrong with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.client.resolution import resolve_in, service_schema, team_layers
from envkeep.core.errors import InputError, SchemaViolation

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

    from envkeep.client.context import ClientContext
    from envkeep.client.resolution import ProjectLayers
    from envkeep.client.vault import OpenEnvironment
    from envkeep.core.resolve import Resolution
    from envkeep.core.schema import Schema
    from envkeep.core.validate import Finding

    # A batch's changes by scope (None: the shared one), a None value unsetting its name.
    ScopedChanges = Mapping[str | None, Mapping[str, str | None]]

# The flag that writes a value anyway (ahead of a schema change): `run` and `activate-all`
# skip the schemas with the same one.
OVERRIDE_FLAG = "--no-validate"

_SHOWN = 3  # violations named in the error; the rest are counted


def schemas_to_check(ctx: ClientContext) -> dict[str, Schema]:
    """The schemas a write answers to, by service: every readable one that declares a
    variable (a declared value may refer to a written name, whatever its scope). Read before
    the store is: when there are none, the write needs no other scope."""
    found: dict[str, Schema] = {}
    for entry in ctx.project_file.services:
        schema = _readable_schema(ctx, entry.name)
        if schema is not None and schema.fields:
            found[entry.name] = schema
    return found


def _readable_schema(ctx: ClientContext, service: str) -> Schema | None:
    try:
        return service_schema(ctx, service)
    except InputError as error:  # missing or broken: nothing to check against, said so
        if ctx.notify is not None:
            ctx.notify(
                f"warning: {service}'s values were not checked: its schema cannot be read"
                f" ({error}); validate and run will fail until it is fixed"
            )
        return None


def refuse_violations(
    ctx: ClientContext,
    opened: OpenEnvironment,
    service: str | None,
    changes: Mapping[str, str | None],
    schemas: Mapping[str, Schema],
) -> None:
    """Raise SchemaViolation naming each value that a schema of ``schemas`` refuses once
    ``changes`` are written to ``service``'s scope of ``opened`` (read with every scope; None
    unsets): a written one, or one that refers to it."""
    refuse_violations_across(ctx, opened, {service: changes}, schemas)


def refuse_violations_across(
    ctx: ClientContext,
    opened: OpenEnvironment,
    changes: ScopedChanges,
    schemas: Mapping[str, Schema],
) -> None:
    """`refuse_violations` for one batch of changes to several scopes (`promote`'s)."""
    if not schemas or not any(changes.values()):
        return
    before = team_layers(ctx, opened)
    if before is None:  # a broken template: nothing to check against (validate names it)
        return
    batch = _Batch.of(before, changes)
    found: list[Finding] = []
    for target, schema in schemas.items():
        if target in before.by_service:  # else not in the store (envkeep.toml is ahead of it)
            found += _violations(batch, target, schema)
    if found:
        raise _refusal(found)


def _written(changes: Mapping[str, str | None]) -> list[str]:
    return [name for name, value in changes.items() if value is not None]


@dataclass(frozen=True)
class _Batch:
    """A batch of changes, the layers before and after it, and the names it writes (in any
    scope; not those it unsets)."""

    changes: ScopedChanges
    before: ProjectLayers
    after: ProjectLayers
    written: frozenset[str]

    @classmethod
    def of(cls, before: ProjectLayers, changes: ScopedChanges) -> _Batch:
        after = before
        for service, scoped in changes.items():
            after = after.with_changes(service, scoped)
        written = frozenset(name for scoped in changes.values() for name in _written(scoped))
        return cls(changes, before, after, written)

    def seen_by(self, target: str) -> list[str]:
        """The written names whose new value ``target`` sees: its own scope's, and the shared
        scope's where it does not set the name itself."""
        own = self.after.by_service[target]
        return [
            name
            for service, scoped in self.changes.items()
            for name in _written(scoped)
            if service == target or (service is None and name not in own)
        ]


def _violations(batch: _Batch, target: str, schema: Schema) -> list[Finding]:
    """What ``target``'s schema refuses of the values it sees written and of those whose
    resolution the batch changes (they refer to a written name)."""
    from envkeep.core.validate import Finding, check_value

    try:
        now, was = resolve_in(batch.after, target), resolve_in(batch.before, target)
    except InputError:  # a template or a referenced service's schema is broken: validate says
        return []
    seen = batch.seen_by(target)
    changed = [field.name for field in schema.fields if _changes(was, now, field.name)]
    found = [
        Finding(target, field.name, "missing", "required but not set once this is removed")
        for field in schema.fields
        if field.required
        and field.default is None
        and field.name in was.values
        and field.name not in now.values
    ]
    for name in dict.fromkeys([*seen, *changed]):
        spec, value = schema.field(name), now.values.get(name)
        if spec is None or value is None or name in now.errors:  # a broken reference is no
            continue  # type's problem: validate and run name it
        problem = check_value(spec, value)
        if problem is not None:
            rule, message = problem
            if name not in seen:
                message += _refers(now, name, batch.written)
            found.append(Finding(target, name, rule, message))
    return found


def _changes(was: Resolution, now: Resolution, name: str) -> bool:
    """Whether ``name`` resolves to another value after the write (a reference broken before
    and resolved now included)."""
    return name in now.values and (now.values[name] != was.values.get(name) or name in was.errors)


def _refers(resolution: Resolution, name: str, written: Collection[str]) -> str:
    """For the message of a value refused for what it refers to: the written names it reaches
    (its references, through others too, as ``NAME`` or ``svc.NAME``)."""
    references = resolution.references.get(name, ())
    reached = dict.fromkeys(r for r in references if r.rpartition(".")[2] in written)
    return f", as it refers to {', '.join(f'${{{r}}}' for r in reached)}" if reached else ""


def _refusal(found: list[Finding]) -> SchemaViolation:
    """One line naming each service, variable and rule (never a value: it may be a secret)."""
    shown = "; ".join(f"{f.service}.{f.name} ({f.rule}: {f.message})" for f in found[:_SHOWN])
    more = f" (and {len(found) - _SHOWN} more)" if len(found) > _SHOWN else ""
    services = sorted({f.service for f in found if f.service is not None})
    whose = f"service {services[0]}'s schema" if len(services) == 1 else "the services' schemas"
    removed = all(f.rule == "missing" for f in found)
    fix = "keep it, or remove it anyway" if removed else "correct the value, or write it anyway"
    return SchemaViolation(
        f"refused by {whose}: {shown}{more}; nothing was written",
        hint=f"{fix} with {OVERRIDE_FLAG} (ahead of a schema change){_schemas(services)}",
    )


def _schemas(services: list[str]) -> str:
    """Where the hint points to read the refusing schemas: each service's (up to `_SHOWN`)."""
    if not services:
        return ""
    shown = "; ".join(f"envkeep schema show {service}" for service in services[:_SHOWN])
    return f"; the schema{'s' if len(services) > 1 else ''}: {shown}"
