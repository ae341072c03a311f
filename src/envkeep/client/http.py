"""``HttpBackend``: the same Backend as ``LocalBackend``, over the team server's REST API.

It sends and receives ciphertext only; errors come back as problem+json with envkeep's codes
and are raised here as the same exceptions the local backend raises (`problem_errors`), a
request that got no answer as the server out of reach (`unreachable`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from envkeep.api import schemas
from envkeep.app import views
from envkeep.client import answer_encoding, answer_size, problem_errors, server_failure, unreachable
from envkeep.client._httpx import httpx
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
from envkeep.client.kept_writes import Batch
from envkeep.client.problem_errors import raise_problem
from envkeep.client.proxies import proxy_for
from envkeep.client.snapshot_reads import SnapshotReads
from envkeep.client.transport import (
    HEADERS_SECONDS,
    KEEPALIVE_SECONDS,
    READ_SECONDS,
    TIMEOUT,
    connecting,
)
from envkeep.core import errors
from envkeep.core.auditchain import EventPage, EventView
from envkeep.core.timestamps import utc_second

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from datetime import datetime

    from envkeep.client.backend import CheckSigners
    from envkeep.client.kept_copies import Opens
    from envkeep.client.offline import SnapshotCache
    from envkeep.core.auditchain import AuditQuery

    # A refusal and the path of the request refused → the error to raise instead, or None.
    RefusalHook = Callable[[errors.AccessError, str], errors.AccessError | None]

# Names other modules and tests import from here, as before the error mapping and the views
# moved to modules of their own.
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


def names_in(path: str) -> tuple[str, str | None, str | None]:
    """(workspace id, project, environment) a request's path names ("" when it names none)."""
    from urllib.parse import unquote

    parts = [unquote(p) for p in path.strip("/").split("/")]
    named = dict(zip(parts[1::2], parts[2::2], strict=False))
    return named.get("workspaces", ""), named.get("projects"), named.get("environments")


class ApiClient:
    """JSON over HTTP with envkeep's error mapping; one connection pool.

    ``on_refusal`` (and any added with ``add_refusal_hook``) sees every refusal (an
    AccessError) with the request's path, before it is raised: what this machine does about it
    (``client/refusals.py``); a hook returns the error to raise instead, or None."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        transport: httpx.BaseTransport | None = None,
        on_refusal: RefusalHook | None = None,
        proxies: Mapping[str, str] | None = None,
        headers_within: float = HEADERS_SECONDS,
    ) -> None:
        from envkeep import __version__

        # The version, so that a server can one day answer an envkeep too old for it by name
        # (an older client only meets answers it cannot read).
        headers = {
            "User-Agent": f"envkeep/{__version__}",
            "Accept-Encoding": answer_encoding.ACCEPTED,  # no decoder bounds a chunk's size
        }
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._refusal_hooks: list[RefusalHook] = [] if on_refusal is None else [on_refusal]
        self.base_url = base_url.rstrip("/")
        # The proxy the server is reached through (`proxies`), from ``proxies`` (None: the
        # environment's HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY, as httpx read them);
        # none with a ``transport`` given (a test's in-process app).
        self.proxy = None
        self._headers_within = headers_within  # an answer's head must come within it
        if transport is None:
            if proxies is None:
                from envkeep.environ import proxy_variables

                proxies = proxy_variables()
            self.proxy = proxy_for(self.base_url, proxies)
            transport = connecting(self.proxy, headers_within=headers_within)
        self._http = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=TIMEOUT, transport=transport
        )

    def say_command(self, command: str) -> None:
        """Send ``command`` (the envkeep command this process runs, ``service add``) with every
        request: the server records it with the reads it makes (`api/client_command`)."""
        self._http.headers["Envkeep-Command"] = command

    def _with_readable_names(self, missing: errors.NotFoundError, path: str) -> errors.EnvkeepError:
        """A 404 for an unknown project or environment, told to a caller the server does not
        list the names to: again, pointing at a close name among those it reads (the
        environments it reads; the projects named by the role bindings it sees, all of this
        workspace), asked for on this error path only. Anything else, or a failed ask, as
        it came."""
        from envkeep.app.not_found import environment_not_found, project_not_found

        workspace, project, environment = names_in(path)
        at = f"/v1/workspaces/{workspace}"
        try:
            if isinstance(missing, errors.EnvironmentNotFound) and project and environment:
                if missing.message != environment_not_found(environment, project, None).message:
                    return missing  # listed already, or not the environment of this path
                listed = self.request("GET", f"{at}/projects/{project}/environments")
                names = [str(e["name"]) for e in listed]
                return environment_not_found(environment, project, None, readable=names)
            if isinstance(missing, errors.ProjectNotFound) and workspace and project:
                if missing.message != project_not_found(project, None).message:
                    return missing
                bindings = self.request("GET", f"{at}/members")
                names = sorted({str(b["project"]) for b in bindings if b.get("project")})
                return project_not_found(project, None, readable=names)
        except errors.EnvkeepError:
            return missing
        return missing

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Any = None,
        most: int = answer_size.MOST_BYTES,
    ) -> Any:
        """The decoded JSON body of a 2xx answer (None for 204); raises envkeep errors. An
        answer past ``most`` bytes is refused as no envkeep server's (`answer_size`)."""
        try:
            response = self._send(method, path, json, params, most)
        except httpx.TransportError as error:
            raise unreachable.failed(
                error,
                self.base_url,
                method,
                path,
                waited=READ_SECONDS,
                waited_for_head=self._headers_within,
                proxy=self.proxy,
            ) from None
        if response.status_code >= 400:
            try:
                raise_problem(response)
            except (errors.ProjectNotFound, errors.EnvironmentNotFound) as missing:
                raise self._with_readable_names(missing, path) from None
            except errors.AccessError as refused:
                raise self._refused(refused, path) from None
            except errors.SchemaChanged:  # refused before anything ran: the operator's to fix
                raise
            except errors.StoreUnavailable as unavailable:  # a full disk looks so too
                unavailable.message = server_failure.named(unavailable.message, response, {})
                hint = unavailable.hint or "retry later"
                hint += "; if it persists, give the server's operator the request id"
                unavailable.hint = unreachable.may_have_landed(hint, method, path)
                raise
        if response.status_code == 204:
            return None
        try:
            return response.json()
        except ValueError:  # a 2xx that is not JSON: another program answers at the URL
            raise problem_errors.not_envkeep(response, by_envkeep=False) from None

    def _send(self, method: str, path: str, json: Any, params: Any, most: int) -> httpx.Response:
        """The answer to one request, its body read in chunks up to ``most`` bytes."""
        request = self._http.build_request(method, path, json=json, params=params)
        streamed = self._http.send(request, stream=True)
        try:
            answer_encoding.refuse_encoded(streamed)
            body = answer_size.read_within(streamed, most)
        finally:
            streamed.close()
        return httpx.Response(
            streamed.status_code, headers=streamed.headers, content=body, request=request
        )

    def add_refusal_hook(self, hook: RefusalHook) -> None:
        """Have ``hook`` see this client's refusals too (after those given before)."""
        self._refusal_hooks.append(hook)

    def _refused(self, refused: errors.AccessError, path: str) -> errors.AccessError:
        """The error to raise for a refusal of ``path``, once every hook has seen it."""
        for hook in self._refusal_hooks:
            refused = hook(refused, path) or refused
        return refused

    def close(self) -> None:
        self._http.close()


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
            "POST", f"/v1/workspaces/{self.workspace_id}/projects", json=dump(body)
        )
        created = read_answer(schemas.ProjectCreated, data)
        return views.ProjectCreated(
            views.ProjectView(**created.project.model_dump()), tuple(created.environments)
        )

    def list_projects(self) -> list[str]:
        data = self.api.request("GET", f"/v1/workspaces/{self.workspace_id}/projects")
        return [read_answer(schemas.Project, item).name for item in data]

    def add_service(
        self, project: str, name: str, *, path: str | None, schema_path: str | None
    ) -> views.ServiceView:
        body = schemas.NewService(name=name, path=path, schema_path=schema_path)
        data = self.api.request("POST", f"{self.project_path(project)}/services", json=dump(body))
        return service_view(read_answer(schemas.Service, data))

    def list_services(self, project: str) -> list[views.ServiceView]:
        data = self.api.request("GET", f"{self.project_path(project)}/services")
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
            "POST", f"{self.project_path(project)}/environments", json=dump(new_environment(new))
        )
        return environment_view(read_answer(schemas.Environment, data))

    def list_environments(self, project: str) -> list[views.EnvironmentView]:
        data = self.api.request("GET", f"{self.project_path(project)}/environments")
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
            "PATCH", f"{self.project_path(project)}/environments/{name}", json=dump(body)
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
        )
        found = read_answer(schemas.VersionsAt, data)
        authors = tuple(principal_view(a) for a in found.authors)
        self._check_signers(authors)
        return tuple(version_view(v) for v in found.versions), authors

    def audit_events(self, query: AuditQuery) -> EventPage:
        from dataclasses import asdict

        params = {k: v for k, v in asdict(query).items() if v is not None}
        data = self.api.request("GET", f"/v1/workspaces/{self.workspace_id}/audit", params=params)
        page = read_answer(schemas.AuditPage, data)
        events = [EventView(**e.model_dump()) for e in page.events]
        more = page.next_after is not None
        return EventPage(events, page.names, page.project, page.project_id, more)

    def close(self) -> None:
        self.api.close()
