"""``ApiClient``: JSON over HTTP to the team server with envkeep's error mapping, one
connection pool: a problem+json answer raised as envkeep's error (`problem_errors`), a request
that got no answer as the server out of reach (`unreachable`), and refusals shown to this
machine's hooks first (`refusals`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from envkeep.client import answer_encoding, answer_size, problem_errors, server_failure, unreachable
from envkeep.client._httpx import httpx
from envkeep.client.problem_errors import raise_problem
from envkeep.client.proxies import proxy_for
from envkeep.client.transport import HEADERS_SECONDS, READ_SECONDS, TIMEOUT, connecting
from envkeep.core import errors

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from envkeep.client.answers import Shape

    # A refusal and the path of the request refused → the error to raise instead, or None.
    RefusalHook = Callable[[errors.AccessError, str], errors.AccessError | None]


def names_in(path: str) -> tuple[str, str | None, str | None]:
    """(workspace id, project, environment) a request's path names ("" when it names none)."""
    from urllib.parse import unquote

    parts = [unquote(p) for p in path.strip("/").split("/")]
    named = dict(zip(parts[1::2], parts[2::2], strict=False))
    return named.get("workspaces", ""), named.get("projects"), named.get("environments")


def user_agent() -> str:
    """``envkeep/0.2.0 (python 3.11; linux)``: the version, so that a server can one day
    answer an envkeep too old for it by name (an older client only meets answers it cannot
    read), and what it runs on, which `session list` shows beside each session so that its
    owner tells their own machines from a stranger's."""
    import sys

    from envkeep import __version__

    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    return f"envkeep/{__version__} (python {python}; {sys.platform})"


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
        headers = {
            "User-Agent": user_agent(),
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
        answer: Shape | None = None,
    ) -> Any:
        """The decoded JSON body of a 2xx answer (None for 204); raises envkeep errors. An
        answer past ``most`` bytes is refused as no envkeep server's (`answer_size`), and one
        that is not ``answer`` at all (`answers.foreign`) as another program's."""
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
            data = response.json()
        except ValueError:  # a 2xx that is not JSON: another program answers at the URL
            raise problem_errors.not_envkeep(response, by_envkeep=False) from None
        if answer is not None and _foreign(answer, data):  # {"hello": 1}: another program's
            raise problem_errors.not_envkeep(response, by_envkeep=False)
        return data

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


def _foreign(answer: Shape, data: Any) -> bool:
    from envkeep.client.answers import foreign  # pydantic: loaded by whoever names a model

    return foreign(answer, data)
