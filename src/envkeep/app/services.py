"""The service registry: a project's microservices, with path, schema and health URL."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlalchemy import select

from envkeep.app import reads
from envkeep.app._lookup import project_by_name, service_by_name
from envkeep.app.audit import append_event
from envkeep.app.authz import require_role
from envkeep.app.policy import Role, Target
from envkeep.app.reads import SHARED_SCOPE
from envkeep.app.views import ServiceView
from envkeep.core.errors import AlreadyExistsError, UsageError
from envkeep.store.models import Service

if TYPE_CHECKING:
    from envkeep.app.context import Call

SERVICE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")


def check_service_name(name: str) -> None:
    """Refuse a name a service cannot take: ``shared`` names the scope every service reads."""
    if not SERVICE_NAME.fullmatch(name):
        raise UsageError(
            f"'{name}' is not a valid service name",
            hint="use lowercase letters, digits, '-' and '_' (e.g. api, billing-worker)",
        )
    if name == SHARED_SCOPE:
        raise UsageError(
            f"'{SHARED_SCOPE}' cannot name a service: it is the scope every service shares",
            hint="set shared values without --service; name the service otherwise (e.g. common)",
        )


def service_view(service: Service) -> ServiceView:
    return ServiceView(
        id=service.id,
        project_id=service.project_id,
        name=service.name,
        path=service.path,
        schema_path=service.schema_path,
        health_url=service.health_url,
    )


def add_service(
    call: Call,
    *,
    workspace_id: str,
    project: str,
    name: str,
    path: str | None = None,
    schema_path: str | None = None,
    health_url: str | None = None,
) -> ServiceView:
    """Register a service in a project (admin on the project)."""
    found = project_by_name(call, workspace_id, project)
    require_role(call, Target(workspace_id, found.id), Role.ADMIN)
    check_service_name(name)
    exists = call.session.scalar(
        select(Service).where(Service.project_id == found.id, Service.name == name)
    )
    if exists is not None:
        raise AlreadyExistsError(f"service '{name}' already exists in '{project}'")
    service = Service(
        id=call.new_id(),
        project_id=found.id,
        name=name,
        path=path,
        schema_path=schema_path,
        health_url=health_url,
        created_at=call.clock(),
    )
    call.session.add(service)
    call.session.flush()
    append_event(
        call,
        workspace_id=workspace_id,
        action="service.add",
        target=f"{project}/{name}",
        project_id=found.id,
    )
    return service_view(service)


_NEXT_REVISIONS = "UPDATE environments SET revision = revision + 1 WHERE project_id = :project"


def list_services(call: Call, *, workspace_id: str, project: str) -> list[ServiceView]:
    """A project's services (`reads.list_services`)."""
    return reads.list_services(call.fetch, call.actor, workspace_id=workspace_id, project=project)


def remove_service(call: Call, *, workspace_id: str, project: str, name: str) -> None:
    """Remove a service and its service-scoped variables in every environment (admin).

    Every environment of the project gets a new revision: its snapshot (services and
    secrets) changed, so an ETag read before must not stand for it, nor an ``If-Match``
    planned against it pass. The environments' rows are taken first, as a write takes its
    environment's before its secrets refer to the service: the other order deadlocked with a
    write into the service's scope on PostgreSQL (tests/test_service_removal_lock_order.py)."""
    found = project_by_name(call, workspace_id, project)
    require_role(call, Target(workspace_id, found.id), Role.ADMIN)
    service = service_by_name(call, found, name)
    call.execute(_NEXT_REVISIONS, {"project": found.id})
    call.session.delete(service)
    call.session.flush()
    append_event(
        call,
        workspace_id=workspace_id,
        action="service.remove",
        target=f"{project}/{name}",
        project_id=found.id,
    )
