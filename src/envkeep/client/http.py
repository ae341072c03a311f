"""``HttpBackend``: the same Backend as ``LocalBackend``, over the team server's REST API.

It sends and receives ciphertext only; errors come back as problem+json with envkeep's codes
and are raised here as the same exceptions the local backend raises (`problem_errors`), a
request that got no answer as the server out of reach (`unreachable`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from envkeep.api import schemas
from envkeep.app import views
from envkeep.client import answer_size
from envkeep.client.answer_views import (
    dump,
    environment_view,
    new_environment,
    principal_view,
    secret_write,
    service_view,
    version_view,
)
from envkeep.client.answers import read_answer
from envkeep.client.api_client import ApiClient, names_in
from envkeep.client.kept_writes import Batch
from envkeep.client.problem_errors import raise_problem
from envkeep.client.snapshot_reads import SnapshotReads
from envkeep.client.transport import KEEPALIVE_SECONDS, TIMEOUT
from envkeep.core import errors
from envkeep.core.auditchain import EventPage, EventView
from envkeep.core.timestamps import utc_second

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime

    from envkeep.client.backend import CheckSigners
    from envkeep.client.kept_copies import Opens
    from envkeep.client.offline import SnapshotCache
    from envkeep.core.auditchain import AuditQuery

# Names other modules and tests import from here, as before the error mapping, the views and
# ApiClient moved to modules of their own.
__all__ = [
    "KEEPALIVE_SECONDS",
    "TIMEOUT",
    "ApiClient",
    "HttpBackend",
    "names_in",
    "principal_view",
    "raise_problem",
]
# tests/test_rotation_keys.py builds a write's body by this name.
_write = secret_write


class HttpBackend:
    """The Backend protocol against a team server, for one workspace."""

    def __init__(
        self,
        api: ApiClient,
        workspace_id: str,
        cache: SnapshotCache | None = None,
        *,
        check_signers: CheckSigners | None = None,
        check_environment: Callable[[str, str, str, int | None], None] | None = None,
        check_services: Callable[[str, Sequence[views.ServiceView]], None] | None = None,
        opens: Opens | None = None,
    ) -> None:
        self.api = api
        self.workspace_id = workspace_id
        self._cache = cache
        # Every signer a snapshot or a history names goes past this first (the client's
        # pinned keys: client/pins.check_signers); None only where no keys are pinned.
        self._check_signers = check_signers or (lambda _principals: None)
        # Every answer's services go past this (project, services) first: the ids this
        # machine pinned for their names (client/service_pins.py).
        self._check_services = check_services or (lambda _project, _services: None)
        self._snapshots = SnapshotReads(
            api,
            self.project_path,
            cache,
            self._check_signers,
            check_environment or (lambda _project, _env, _id, _kv: None),
            self._check_services,
            opens,
        )

    @property
    def read_kept_copy(self) -> bool:
        """Whether a read was answered from a copy kept offline (the server out of reach)."""
        return self._snapshots.read_kept_copy

    def project_path(self, project: str) -> str:
        """The URL path of one project of this workspace."""
        return f"/v1/workspaces/{self.workspace_id}/projects/{project}"

    def create_project(
        self, name: str, environments: Sequence[views.NewEnvironment]
    ) -> views.ProjectCreated:
        body = schemas.NewProject(
            name=name, environments=[new_environment(e) for e in environments]
        )
        data = self.api.request(
            "POST",
            f"/v1/workspaces/{self.workspace_id}/projects",
            json=dump(body),
            answer=schemas.ProjectCreated,
        )
        created = read_answer(schemas.ProjectCreated, data)
        return views.ProjectCreated(
            views.ProjectView(**created.project.model_dump()), tuple(created.environments)
        )

    def list_projects(self) -> list[str]:
        data = self.api.request(
            "GET", f"/v1/workspaces/{self.workspace_id}/projects", answer=[schemas.Project]
        )
        return [read_answer(schemas.Project, item).name for item in data]

    def add_service(
        self, project: str, name: str, *, path: str | None, schema_path: str | None
    ) -> views.ServiceView:
        body = schemas.NewService(name=name, path=path, schema_path=schema_path)
        data = self.api.request(
            "POST",
            f"{self.project_path(project)}/services",
            json=dump(body),
            answer=schemas.Service,
        )
        return service_view(read_answer(schemas.Service, data))

    def list_services(self, project: str) -> list[views.ServiceView]:
        data = self.api.request(
            "GET", f"{self.project_path(project)}/services", answer=[schemas.Service]
        )
        services = [service_view(read_answer(schemas.Service, item)) for item in data]
        self._check_services(project, services)
        return services

    def remove_service(self, project: str, name: str) -> None:
        self.api.request("DELETE", f"{self.project_path(project)}/services/{name}")
        if self._cache is None:
            return
        # Each environment's copy kept for reads offline held the service's values: deleted,
        # so that none serves them. `service remove` reads every environment next (its warning
        # of broken references), which keeps a copy of each again: reading each here as well
        # fetched and decrypted every environment twice.
        try:
            environments = self.list_environments(project)
        except errors.EnvkeepError:  # the service is gone: none of its values may stay kept
            self._cache.forget_project(self.workspace_id, project)
            return
        for environment in environments:
            self._snapshots.forget(project, environment.name)

    def create_environment(self, project: str, new: views.NewEnvironment) -> views.EnvironmentView:
        data = self.api.request(
            "POST",
            f"{self.project_path(project)}/environments",
            json=dump(new_environment(new)),
            answer=schemas.Environment,
        )
        return environment_view(read_answer(schemas.Environment, data))

    def list_environments(self, project: str) -> list[views.EnvironmentView]:
        data = self.api.request(
            "GET", f"{self.project_path(project)}/environments", answer=[schemas.Environment]
        )
        return [environment_view(read_answer(schemas.Environment, item)) for item in data]

    def delete_environment(self, project: str, name: str) -> None:
        self.api.request("DELETE", f"{self.project_path(project)}/environments/{name}")
        self._snapshots.forget(project, name)  # no copy of it may serve a read offline

    def update_environment(
        self,
        project: str,
        name: str,
        *,
        rename: str | None,
        description: str | None,
        protected: bool | None,
    ) -> views.EnvironmentView:
        body = schemas.EnvironmentChange(
            rename=rename, description=description, protected=protected
        )
        data = self.api.request(
            "PATCH",
            f"{self.project_path(project)}/environments/{name}",
            json=dump(body),
            answer=schemas.Environment,
        )
        if rename is not None:  # the old name stands for no copy
            self._snapshots.forget(project, name)
        return environment_view(read_answer(schemas.Environment, data))

    def read_environment(
        self, project: str, environment: str, services: Sequence[str] | None
    ) -> views.EnvironmentSnapshot:
        kept = self._cache is not None and self._cache.loads
        return self._snapshots.read(project, environment, services, save=kept, fall_back=kept)

    def keep_opened(self, snapshot: views.EnvironmentSnapshot) -> None:
        """Keep for reads offline the answer read as ``snapshot``, which a read has opened
        whole (`kept_copies.keep_opened`)."""
        self._snapshots.keep_opened(snapshot)

    def write_secrets(
        self,
        project: str,
        environment: str,
        writes: Sequence[views.SecretWrite],
        *,
        confirmed: bool = False,
    ) -> int:
        body = schemas.Writes(writes=[secret_write(w) for w in writes], confirmed=confirmed)
        sent_at = self._snapshots.now()  # the copy it keeps is of the state after this
        data = self.api.request(
            "POST",
            f"{self.project_path(project)}/environments/{environment}/secrets",
            json=dump(body),
            answer=schemas.Written,
        )
        written = read_answer(schemas.Written, data)
        batch = Batch(int(written.revision), written.written_at, writes, sent_at)
        self._snapshots.refresh_kept(project, environment, batch)
        return batch.revision

    def _snapshot_path(self, project: str, environment: str) -> str:
        return self._snapshots.path(project, environment)

    def secret_history(
        self, project: str, environment: str, secret_id: str
    ) -> tuple[tuple[views.VersionView, ...], tuple[views.PrincipalView, ...]]:
        data = self.api.request(
            "GET",
            f"{self.project_path(project)}/environments/{environment}/secrets/{secret_id}/versions",
            most=answer_size.MOST_VERSIONS_BYTES,
            answer=schemas.History,
        )
        found = read_answer(schemas.History, data)
        authors = tuple(principal_view(a) for a in found.authors)
        self._check_signers(authors)
        return tuple(version_view(v) for v in found.versions), authors

    def versions_at(
        self, project: str, environment: str, scope: str, at: datetime
    ) -> tuple[tuple[views.VersionView, ...], tuple[views.PrincipalView, ...]]:
        data = self.api.request(
            "GET",
            f"{self.project_path(project)}/environments/{environment}/versions",
            params={"scope": scope, "at": utc_second(at)},
            most=answer_size.MOST_VERSIONS_BYTES,
            answer=schemas.VersionsAt,
        )
        found = read_answer(schemas.VersionsAt, data)
        authors = tuple(principal_view(a) for a in found.authors)
        self._check_signers(authors)
        return tuple(version_view(v) for v in found.versions), authors

    def audit_events(self, query: AuditQuery) -> EventPage:
        from dataclasses import asdict

        params = {k: v for k, v in asdict(query).items() if v is not None}
        data = self.api.request(
            "GET",
            f"/v1/workspaces/{self.workspace_id}/audit",
            params=params,
            answer=schemas.AuditPage,
        )
        page = read_answer(schemas.AuditPage, data)
        events = [EventView(**e.model_dump()) for e in page.events]
        more = page.next_after is not None
        return EventPage(events, page.names, page.project, page.project_id, more)

    def close(self) -> None:
        self.api.close()
