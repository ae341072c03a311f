"""Checking values before they are written, against the schema of each service that will see
them: ``set PORT=abc`` is refused when it is typed, not when `validate` or `run` meets it.

A write to a service's scope answers to that service's schema; a write to the shared scope to
the schema of every service that declares the name and does not set it itself. What is checked
is the value those services will see, references expanded, without this machine's personal
overrides (the write is for everyone). A service without a schema, or whose schema cannot be
read, is not checked here: `validate` and `run` say what is wrong with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.client.resolution import resolve_in, service_schema, team_layers
from envkeep.core.errors import InputError, SchemaViolation

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

    from envkeep.client.context import ClientContext
    from envkeep.client.resolution import ProjectLayers
    from envkeep.client.vault import OpenEnvironment
    from envkeep.core.schema import Schema
    from envkeep.core.validate import Finding

# The flag that writes a value anyway (ahead of a schema change): `run` and `activate-all`
# skip the schemas with the same one.
OVERRIDE_FLAG = "--no-validate"

_SHOWN = 3  # violations named in the error; the rest are counted


def schemas_to_check(
    ctx: ClientContext, service: str | None, names: Collection[str] | None
) -> dict[str, Schema]:
    """The schemas a write of ``names`` (None: names not known yet) to ``service``'s scope
    (None: shared) answers to, by service: those that declare one of the names. Read before
    the store is: when there are none, the write needs no other scope."""
    candidates = [s.name for s in ctx.project_file.services] if service is None else [service]
    found: dict[str, Schema] = {}
    for candidate in candidates:
        schema = _readable_schema(ctx, candidate)
        if schema is not None and _declares(schema, names):
            found[candidate] = schema
    return found


def _declares(schema: Schema, names: Collection[str] | None) -> bool:
    if names is None:
        return bool(schema.fields)
    return any(schema.field(name) is not None for name in names)


def _readable_schema(ctx: ClientContext, service: str) -> Schema | None:
    try:
        return service_schema(ctx, service)
    except InputError:  # missing or broken: nothing to check against (validate names it)
        return None


def refuse_violations(
    ctx: ClientContext,
    opened: OpenEnvironment,
    service: str | None,
    changes: Mapping[str, str | None],
    schemas: Mapping[str, Schema],
) -> None:
    """Raise SchemaViolation naming each value of ``changes`` (to be written to ``service``'s
    scope of ``opened``, read with every scope; None unsets) that a schema of ``schemas``
    refuses."""
    written = [name for name, value in changes.items() if value is not None]
    if not schemas or not written:
        return
    team = team_layers(ctx, opened)
    if team is None:  # a broken template: nothing to check against (validate names it)
        return
    layers = team.with_changes(service, changes)
    found: list[Finding] = []
    for target, schema in schemas.items():
        seen = [name for name in written if _sees(layers, service, target, name)]
        found += _violations(layers, target, schema, seen)
    if found:
        raise _refusal(found)


def _sees(layers: ProjectLayers, service: str | None, target: str, name: str) -> bool:
    """Whether ``target`` sees the value written to ``service``'s scope: its own scope's, or
    the shared one's where it does not set the name itself."""
    own = layers.by_service.get(target)
    if own is None:  # not in the store (envkeep.toml is ahead of it): nothing it sees yet
        return False
    return service == target or (service is None and name not in own)


def _violations(
    layers: ProjectLayers, target: str, schema: Schema, names: list[str]
) -> list[Finding]:
    from envkeep.core.validate import Finding, check_value

    if not names:
        return []
    try:
        resolution = resolve_in(layers, target)
    except InputError:  # a template or a referenced service's schema is broken: validate says
        return []
    found = []
    for name in names:
        spec, value = schema.field(name), resolution.values.get(name)
        if spec is None or value is None or name in resolution.errors:  # a broken reference
            continue  # is no type's problem: validate and run name it
        problem = check_value(spec, value)
        if problem is not None:
            found.append(Finding(target, name, problem[0], problem[1]))
    return found


def _refusal(found: list[Finding]) -> SchemaViolation:
    """One line naming each service, variable and rule (never a value: it may be a secret)."""
    shown = "; ".join(f"{f.service}.{f.name} ({f.rule}: {f.message})" for f in found[:_SHOWN])
    more = f" (and {len(found) - _SHOWN} more)" if len(found) > _SHOWN else ""
    services = sorted({f.service for f in found if f.service is not None})
    whose = f"service {services[0]}'s schema" if len(services) == 1 else "the services' schemas"
    return SchemaViolation(
        f"refused by {whose}: {shown}{more}; nothing was written",
        hint=f"correct the value, or write it anyway with {OVERRIDE_FLAG}"
        f" (ahead of a schema change); the schema: envkeep schema show {services[0]}",
    )
