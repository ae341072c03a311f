"""Client use cases for a project's services: `service add`, `service list`, `service remove`.

A service lives in two places, the store and envkeep.toml (its directory and schema, which
commands read): adding or removing one changes both, and listing shows the store's services
with what envkeep.toml gives each. `service set`, which changes envkeep.toml alone, is
`service_entries`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from envkeep.client.service_entries import check_schema, checked_service_paths, example_in
from envkeep.core.errors import ServiceNotFound, UsageError
from envkeep.core.files import write_atomic
from envkeep.core.projectfile import FILENAME, ServiceEntry
from envkeep.core.projectfile_edits import with_service_section, without_service_section

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from envkeep.app.views import ServiceView
    from envkeep.client.broken_references import BrokenReference
    from envkeep.client.config_cycles import NewCycle
    from envkeep.client.context import ClientContext


def _edit_project_file(path: Path, edit: Callable[[str], str]) -> None:
    write_atomic(path, edit(path.read_text(encoding="utf-8")).encode(), mode=0o644)


@dataclass(frozen=True)
class AddedService:
    """A service `add_service` added, and the reference cycles it sees (a warning)."""

    service: ServiceView
    cycles: tuple[NewCycle, ...] = ()


def add_service(
    ctx: ClientContext, name: str, *, path: str | None, schema: str | None
) -> AddedService:
    """Register a service in the store and in envkeep.toml; without ``schema``, the
    .env.example in its directory is its schema, when there is one. The reference cycles it
    sees, in each environment (a cycle of the shared scope every other service ends with its
    own value), are returned to warn of (`config_cycles`)."""
    from envkeep.client.config_cycles import cycles_of_new_service
    from envkeep.client.reading import team_layers_everywhere

    project = ctx.project_file
    path, schema = checked_service_paths(project, name, path, schema)
    if schema is None:
        schema = example_in(project, path)
    check_schema(ctx, schema)
    entry = ServiceEntry(name, path, schema)
    everywhere = team_layers_everywhere(ctx)  # read without the service, to compare
    service = register_service(ctx, project.project, name, path=path, schema=schema)
    _edit_project_file(project.path, lambda text: with_service_section(text, entry))
    return AddedService(service, tuple(cycles_of_new_service(everywhere, entry)))


def register_service(
    ctx: ClientContext, project: str, name: str, *, path: str | None, schema: str | None
) -> ServiceView:
    """Add service ``name`` to the store and pin its id on this machine, whatever the name
    stood for before (`service add`, and `init` registering what envkeep.toml declares): what
    this machine added is what the name stands for."""
    service = ctx.backend.add_service(project, name, path=path, schema_path=schema)
    if ctx.service_pins is not None:
        ctx.service_pins.made(project, service)
    return service


@dataclass(frozen=True)
class ListedService:
    """A service as `service list` shows it."""

    name: str
    path: str | None
    schema: str | None  # its .env.example, or ``envkeep.toml`` for a table written there
    schema_table: bool  # the schema is that table


def list_services(ctx: ClientContext) -> list[ListedService]:
    """The project's services as the store knows them, each with the directory and schema
    that envkeep.toml gives it (what commands use; `service set` changes them there)."""
    declared = {s.name: s for s in ctx.project_file.services}
    found = []
    for stored in ctx.backend.list_services(ctx.project_file.project):
        entry = declared.get(stored.name)
        if entry is None:
            found.append(ListedService(stored.name, stored.path, stored.schema_path, False))
            continue
        table = entry.schema_table is not None
        schema = entry.schema or (FILENAME if table else None)
        found.append(ListedService(stored.name, entry.path, schema, table))
    return found


def check_removable(ctx: ClientContext, name: str) -> None:
    """Refuse, before anyone is asked to confirm, to remove a service that neither
    envkeep.toml nor the store knows (the store's error, naming those it holds)."""
    if ctx.project_file.service(name) is not None:
        return
    project = ctx.project_file.project
    held = [service.name for service in ctx.backend.list_services(project)]
    if name not in held:
        from envkeep.app.not_found import close_to
        from envkeep.core.did_you_mean import did_you_mean
        from envkeep.core.errors import ServiceNotFound

        raise ServiceNotFound(
            f"service '{name}' not found in project '{project}'"
            f" (services: {', '.join(sorted(held)) or 'none yet'}); nothing was removed",
            hint=did_you_mean(close_to(name, held)) or "see the services: envkeep service list",
        )


def remove_service(ctx: ClientContext, name: str) -> list[BrokenReference]:
    """Remove a service (and its variables) from the store and envkeep.toml; return the
    ``${name.KEY}`` references (in each environment) that no longer resolve, read around the
    removal (`removal_references`: its read after the removal keeps the copies for reads
    offline, which the removal deleted)."""
    from envkeep.client.removal_references import broken_after, values_before

    project = ctx.project_file
    before = values_before(ctx, name)
    ctx.backend.remove_service(project.project, name)
    if ctx.service_pins is not None:  # the name may stand for a new one next
        ctx.service_pins.forget(project.project, name)
    broken = broken_after(ctx, name, before)  # envkeep.toml still gives the service's schema
    _edit_project_file(project.path, lambda text: without_service_section(text, name))
    return broken


def trust_services(ctx: ClientContext, names: Sequence[str], project: str | None = None) -> str:
    """`service trust`: read the project's services and pin the ids the server gives
    ``names`` now, whatever this machine pinned before (after an admin removed services and
    added them again); the ids, shortened, as the refusal named them."""
    target = project or ctx.project_file.project
    ctx.trusted_services.update((target, name) for name in names)
    listed = {s.name: s for s in ctx.backend.list_services(target)}
    if ctx.service_pins is None:
        raise UsageError(
            "services are pinned on a team server; this project is on the embedded store",
            hint="nothing to trust here",
        )
    missing = [name for name in names if name not in listed]
    if missing:
        raise ServiceNotFound(
            f"service '{missing[0]}' not found in project '{target}'"
            f" (services: {', '.join(sorted(listed)) or 'none yet'})",
            hint="see the services: envkeep service list",
        )
    return ", ".join(f"'{name}' is service {listed[name].id[:8]}…" for name in names)
