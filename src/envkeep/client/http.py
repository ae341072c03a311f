"""``HttpBackend``: the same Backend as ``LocalBackend``, over the team server's REST API.

It sends and receives ciphertext only; errors come back as problem+json with envkeep's codes
and are raised here as the same exceptions the local backend raises.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from envkeep import __version__
from envkeep.api import schemas
from envkeep.app import views
from envkeep.client import answer_encoding, answer_size, server_failure
from envkeep.client._httpx import httpx
from envkeep.client.answers import read_answer
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

    # A refusal and the path of the request refused → the error to raise instead, or None.
    RefusalHook = Callable[[errors.AccessError, str], errors.AccessError | None]

TIMEOUT = httpx.Timeout(30.0, connect=5.0)
# An idle connection is dropped from the pool well before the server closes it (after
# api/uvicorn_settings.KEEP_ALIVE_SECONDS): httpx's default of 5 s equals the server's, and a
# command that paused about that long (a passphrase prompt, an Argon2id unlock under load) sent
# its next request down a connection the server was closing, and failed with ReadError.
KEEPALIVE_SECONDS = 2.0
_LIMITS = httpx.Limits(  # httpx's own pool sizes
    max_connections=100, max_keepalive_connections=20, keepalive_expiry=KEEPALIVE_SECONDS
)


def _error_classes() -> dict[str, type[errors.EnvkeepError]]:
    found: dict[str, type[errors.EnvkeepError]] = {}
    pending: list[type[errors.EnvkeepError]] = [errors.EnvkeepError]
    while pending:
        cls = pending.pop()
        found.setdefault(cls.code, cls)
        pending.extend(cls.__subclasses__())
    return found


_ERRORS = _error_classes()


_PROBLEM_TYPE = "https://envkeep.dev/problems/"


def _unreachable_hint(base_url: str, error: Exception) -> str:
    """What to do when ``base_url`` could not be reached: a TLS failure is told apart (an
    untrusted certificate, or a server that answers plain HTTP) from the network's."""
    said = str(error).upper()
    if not base_url.startswith("https:") or "SSL" not in said:
        return "check the URL and your network, or whether the server runs"
    if "CERTIFICATE" in said:
        return (
            "its TLS certificate is not trusted here: check the proxy's certificate and name,"
            " or point SSL_CERT_FILE at the CA bundle that signed it"
        )
    return _NO_TLS


def _no_answer(base_url: str, method: str, path: str) -> errors.UnreachableError:
    """A server that took the request but sent no answer within ``TIMEOUT`` (reached, so not
    "cannot reach"): busy or stuck. Its database may have committed a write all the same."""
    hint = "the server is busy or stuck: try again later, or ask its operator to check its log"
    return errors.UnreachableError(
        f"{base_url} did not answer within {TIMEOUT.read:.0f} s (ReadTimeout)",
        hint=_may_have_landed(hint, method, path),
    )


# POSTs that change nothing a user could check (a login's proof, a passphrase's check): a
# login that met a stopped database was told to look for its change with `envkeep list`.
_NO_CHANGE = frozenset({"/v1/auth/prelogin", "/v1/auth/login", "/v1/account/passphrase/check"})


def _may_have_landed(hint: str, method: str, path: str) -> str:
    """``hint``, for a change whose answer never came (or came from a database that failed
    under it): the server may have committed it all the same."""
    if method == "GET" or path in _NO_CHANGE:
        return hint
    caution = "the change may have been applied: check (envkeep list, history) before retrying"
    return f"{hint}; {caution}"


# The fix for a server that answers plain HTTP is TLS in front of it, not http:// (which would
# carry the login proof and the session token in clear): that only for a local test server.
_NO_TLS = (
    "it answers plain HTTP, not TLS (envkeep server alone serves no TLS): put a TLS-terminating"
    " proxy in front of it (docs/deploy.md); only for a local test server, use http://"
)


def _origin(response: httpx.Response) -> str:
    url = response.request.url
    return f"{url.scheme}://{url.netloc.decode()}"


def _not_envkeep(response: httpx.Response, *, by_envkeep: bool) -> errors.NotAnEnvkeepRoute:
    """The error for an answer no envkeep API route gave (another program at the URL, a path
    in the server URL, a server older than the route); ``by_envkeep``: an envkeep server said
    it has no such route, so it may be one older than this client."""
    hint = (
        "check the server URL (envkeep login URL, ENVKEEP_SERVER, or server = in"
        " envkeep.toml): the address envkeep server answers on, with no path"
    )
    if by_envkeep:
        hint += (
            f"; if it is right, the server is older than this envkeep ({__version__}):"
            " upgrade it, then run envkeep server migrate"
        )
    return errors.NotAnEnvkeepRoute(
        f"{_origin(response)} answered {response.status_code} for"
        f" {response.request.url.path}, not as an envkeep server does",
        hint=hint,
    )


# The problems an envkeep server's framework gives for a path or a method it has no route for
# (`api.problems`): an older server answers a newer client's new route with one of them.
_NO_ROUTE = {("not_found", "Not Found"), ("method_not_allowed", "Method Not Allowed")}


def raise_problem(response: httpx.Response) -> None:
    """Raise the envkeep error a problem+json response describes; UnreachableError for an
    answer no envkeep API route gave (another program at the URL, or a path in it)."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    ours = str(body.get("type", "")).startswith(_PROBLEM_TYPE)
    status = response.status_code
    if not ours and status >= 500 and status != 501:  # a proxy's 502-504, an old server's 500
        said = f"{_origin(response)} answered {status}: the server is down or failing"
        raise errors.UnreachableError(
            server_failure.named(said, response, body),
            hint="try again later, or ask whoever runs the server",
        )
    if ours and body.get("code") == errors.ServerFailed.code:
        raise server_failure.server_failed(response, body)
    no_route = (body.get("code"), body.get("title")) in _NO_ROUTE
    if (not ours and status in {404, 405, 501}) or no_route:
        raise _not_envkeep(response, by_envkeep=no_route)
    code = str(body.get("code", ""))
    title = str(body.get("title") or f"the server answered {response.status_code}")
    cls = _ERRORS.get(code)
    if cls is None:
        cls = errors.AccessError if response.status_code in {401, 403} else errors.EnvkeepError
    if response.status_code == 429:  # the server's words name the limit (an older one's do not)
        retry = response.headers.get("Retry-After")
        raise errors.RateLimited(
            title,
            hint=f"retry in {retry} s" if retry else "retry later",
            retry_after=int(retry) if retry and retry.isdigit() else None,
        )
    error = cls(title, hint=body.get("hint"))
    _restore_members(error, body)
    raise error


def _restore_members(error: errors.EnvkeepError, body: dict[str, Any]) -> None:
    """The error's own members (``EnvkeepError.fields``) as the problem gave them."""
    if isinstance(error, errors.PermissionDenied):
        if isinstance(body.get("needed"), str):
            error.needed = body["needed"]
        if isinstance(body.get("scope"), str):
            error.scope = body["scope"]
    if isinstance(error, errors.NotAuthenticated) and isinstance(body.get("credential"), str):
        error.credential = body["credential"]


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
        self._http = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=TIMEOUT,
            transport=transport,
            limits=_LIMITS,
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
        except httpx.ReadTimeout:
            raise _no_answer(self.base_url, method, path) from None
        except httpx.RemoteProtocolError:  # it took the request, then closed: killed, restarted
            raise errors.UnreachableError(
                f"{self.base_url} closed the connection without answering (RemoteProtocolError)",
                hint=_may_have_landed(
                    "check whether the server runs, then try again", method, path
                ),
            ) from None
        except httpx.TransportError as error:
            raise errors.UnreachableError(
                f"cannot reach {self.base_url} ({type(error).__name__})",
                hint=_unreachable_hint(self.base_url, error),
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
                unavailable.hint = _may_have_landed(hint, method, path)
                raise
        if response.status_code == 204:
            return None
        try:
            return response.json()
        except ValueError:  # a 2xx that is not JSON: another program answers at the URL
            raise _not_envkeep(response, by_envkeep=False) from None

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


def _dump(model: schemas.Body) -> Any:
    return model.model_dump(mode="json")


def _write(write: views.SecretWrite) -> schemas.SecretWrite:
    return schemas.SecretWrite.model_validate(write)


def _version(model: schemas.Version) -> views.VersionView:
    return views.VersionView(**model.model_dump())


def principal_view(model: schemas.Principal) -> views.PrincipalView:
    """A principal as the client's frozen view."""
    return views.PrincipalView(**model.model_dump())


def _service(model: schemas.Service) -> views.ServiceView:
    return views.ServiceView(**model.model_dump())


def _environment(model: schemas.Environment) -> views.EnvironmentView:
    return views.EnvironmentView(**model.model_dump())


def snapshot_view(model: schemas.Snapshot) -> views.EnvironmentSnapshot:
    """A snapshot as the client's frozen views."""
    return views.EnvironmentSnapshot(
        project=views.ProjectView(**model.project.model_dump()),
        environment=_environment(model.environment),
        services=tuple(_service(s) for s in model.services),
        shares=tuple(
            views.ShareView(
                s.environment_id, s.key_version, s.recipient_id, principal_view(s.sharer), s.sealed
            )
            for s in model.shares
        ),
        secrets=tuple(
            views.SecretView(s.id, s.scope, s.name_index, _version(s.current))
            for s in model.secrets
        ),
        authors=tuple(principal_view(a) for a in model.authors),
        role=model.role,
    )


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
        from envkeep.client.kept_copies import HeldAnswers

        self.api = api
        self.workspace_id = workspace_id
        self._cache = cache
        # Fetched answers are kept for reads offline once a read opened them (`kept_copies`);
        # ``opens`` opens what a write reads again (none given: that copy is deleted).
        self._held = None if cache is None else HeldAnswers(cache)
        self._opens = opens
        # Whether a read was answered from a copy kept offline (the server out of reach).
        self.read_kept_copy = False
        # Every signer a snapshot or a history names goes past this first (the client's
        # pinned keys: client/pins.check_signers); None only where no keys are pinned.
        self._check_signers = check_signers or (lambda _principals: None)
        # Every snapshot's environment goes past this (project, name, id) first, and every
        # answer's services past the other (project, services): the ids this machine pinned
        # for the names (client/environment_pins.py, client/service_pins.py), and, for an
        # answer fetched (not a copy kept offline), the newest key version it read of each.
        self._check_environment = check_environment or (lambda _project, _env, _id, _kv: None)
        self._check_services = check_services or (lambda _project, _services: None)

    def project_path(self, project: str) -> str:
        """The URL path of one project of this workspace."""
        return f"/v1/workspaces/{self.workspace_id}/projects/{project}"

    def create_project(
        self, name: str, environments: Sequence[views.NewEnvironment]
    ) -> views.ProjectCreated:
        body = schemas.NewProject(
            name=name, environments=[_new_environment(e) for e in environments]
        )
        data = self.api.request(
            "POST", f"/v1/workspaces/{self.workspace_id}/projects", json=_dump(body)
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
        data = self.api.request("POST", f"{self.project_path(project)}/services", json=_dump(body))
        return _service(read_answer(schemas.Service, data))

    def list_services(self, project: str) -> list[views.ServiceView]:
        data = self.api.request("GET", f"{self.project_path(project)}/services")
        services = [_service(read_answer(schemas.Service, item)) for item in data]
        self._check_services(project, services)
        return services

    def remove_service(self, project: str, name: str) -> None:
        self.api.request("DELETE", f"{self.project_path(project)}/services/{name}")

    def create_environment(self, project: str, new: views.NewEnvironment) -> views.EnvironmentView:
        data = self.api.request(
            "POST", f"{self.project_path(project)}/environments", json=_dump(_new_environment(new))
        )
        return _environment(read_answer(schemas.Environment, data))

    def list_environments(self, project: str) -> list[views.EnvironmentView]:
        data = self.api.request("GET", f"{self.project_path(project)}/environments")
        return [_environment(read_answer(schemas.Environment, item)) for item in data]

    def delete_environment(self, project: str, name: str) -> None:
        self.api.request("DELETE", f"{self.project_path(project)}/environments/{name}")
        if self._cache is not None:  # no copy of it may serve a read offline
            self._cache.forget(self._snapshot_path(project, name))

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
            "PATCH", f"{self.project_path(project)}/environments/{name}", json=_dump(body)
        )
        if rename is not None and self._cache is not None:  # the old name stands for no copy
            self._cache.forget(self._snapshot_path(project, name))
        return _environment(read_answer(schemas.Environment, data))

    def read_environment(
        self, project: str, environment: str, services: Sequence[str] | None
    ) -> views.EnvironmentSnapshot:
        kept = self._cache is not None and self._cache.loads
        return self._read_snapshot(project, environment, services, save=kept, fall_back=kept)

    def _read_snapshot(
        self,
        project: str,
        environment: str,
        services: Sequence[str] | None,
        *,
        save: bool,
        fall_back: bool,
    ) -> views.EnvironmentSnapshot:
        """An environment's snapshot; ``save``: the answer kept for reads offline;
        ``fall_back``: a server out of reach answered from such a copy."""
        params: dict[str, Any] = (
            {"all_scopes": "true"} if services is None else {"service": list(services)}
        )
        path = self._snapshot_path(project, environment)
        fetched = False
        try:
            data = self.api.request(
                "GET", path, params=params, most=answer_size.MOST_VERSIONS_BYTES
            )
        except errors.UnreachableError as error:
            if self._cache is None or not fall_back or isinstance(error, errors.NotAnEnvkeepRoute):
                raise  # a kept copy stands in for a server out of reach, not a wrong URL
            # Its role is the one held then: a write is not judged by it (`write_role`).
            data = {**self._cache.load(path, services, error), "role": None}
            self.read_kept_copy = True
        except (errors.PermissionDenied, errors.NotFoundError):
            if self._cache is not None:  # refused now: no copy may serve it offline
                self._cache.forget(path)
            raise
        else:
            fetched = True
        snapshot = snapshot_view(read_answer(schemas.Snapshot, data))
        # Checked against the pin only with the reader's share of it (none: nothing to read);
        # pinned once that share opens (`ClientContext.key_opened`), never on the answer's word.
        current = snapshot.environment.key_version
        held = any(share.key_version == current for share in snapshot.shares)
        key_version = current if fetched and held else None
        self._check_environment(project, environment, snapshot.environment.id, key_version)
        self._check_services(project, snapshot.services)
        self._check_signers([*snapshot.authors, *(s.sharer for s in snapshot.shares)])
        # Kept for reads offline only once opened: a forged answer replaces no good copy.
        if fetched and self._held is not None and save:
            self._held.hold(path, services, snapshot, data)
        return snapshot

    def keep_opened(self, snapshot: views.EnvironmentSnapshot) -> None:
        """Keep for reads offline the answer read as ``snapshot``, which a read has opened
        whole (`kept_copies.keep_opened`)."""
        if self._held is not None:
            self._held.keep(snapshot)

    def write_secrets(
        self,
        project: str,
        environment: str,
        writes: Sequence[views.SecretWrite],
        *,
        confirmed: bool = False,
    ) -> int:
        body = schemas.Writes(writes=[_write(w) for w in writes], confirmed=confirmed)
        data = self.api.request(
            "POST",
            f"{self.project_path(project)}/environments/{environment}/secrets",
            json=_dump(body),
        )
        revision = int(read_answer(schemas.Revision, data).revision)
        self._refresh_kept(project, environment)
        return revision

    def _snapshot_path(self, project: str, environment: str) -> str:
        return f"{self.project_path(project)}/environments/{environment}/snapshot"

    def _refresh_kept(self, project: str, environment: str) -> None:
        """After a write, the copy kept of the environment for reads offline (if any) read
        again, every scope: one from before the write would serve its old values, and miss its
        new names, to the writer's own next read with the server down. A copy that cannot be
        read again, or does not open whole, is deleted instead."""
        path = self._snapshot_path(project, environment)
        if self._cache is None or not self._cache.holds_copies(path):
            return
        try:
            snapshot = self._read_snapshot(project, environment, None, save=True, fall_back=False)
            opened = self._opens is not None and self._opens(snapshot)
        except Exception:  # noqa: BLE001 - the write stands; only its copy is in doubt
            opened = False
        if opened:
            self.keep_opened(snapshot)
        else:
            self._cache.forget(path)

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
        return tuple(_version(v) for v in found.versions), authors

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
        return tuple(_version(v) for v in found.versions), authors

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


def _new_environment(new: views.NewEnvironment) -> schemas.NewEnvironment:
    return schemas.NewEnvironment(
        id=new.id,
        name=new.name,
        sealed_share=new.sealed_share,
        key_version=new.key_version,
        writes=[_write(w) for w in new.writes],
    )
