"""A server's error answer (problem+json, or another program's status) as envkeep's errors.

An envkeep server answers an error as problem+json carrying one of envkeep's codes: it is
raised here as the same exception the local backend raises. An answer no envkeep API route
gave (a proxy's 502, another program at the URL, a path in the server URL, a server older than
the route) is told apart, as out of reach or as no envkeep server's answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from envkeep import __version__
from envkeep.client import server_failure
from envkeep.core import errors

if TYPE_CHECKING:
    from envkeep.client._httpx import httpx


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


def _origin(response: httpx.Response) -> str:
    url = response.request.url
    return f"{url.scheme}://{url.netloc.decode()}"


def not_envkeep(
    response: httpx.Response, *, by_envkeep: bool, missing: bool = False
) -> errors.NotAnEnvkeepRoute:
    """The error for an answer no envkeep API route gave (another program at the URL, a path
    in the server URL, a server older than the route); ``by_envkeep``: an envkeep server said
    it has no such route, so it may be one older than this client; ``missing``: the answer
    says the route is missing (`NotAnEnvkeepRoute.route_missing`), not refused."""
    hint = CHECK_THE_URL
    if by_envkeep:
        hint += (
            f"; if it is right, the server is older than this envkeep ({__version__}):"
            " upgrade it, then run envkeep server migrate"
        )
    else:
        hint = f"something other than envkeep server answers there: {hint}"
    error = errors.NotAnEnvkeepRoute(
        f"{_origin(response)} answered {response.status_code} for"
        f" {response.request.url.path}{_kind(response)}, not as an envkeep server does",
        hint=hint,
    )
    error.route_missing = missing
    return error


CHECK_THE_URL = (
    "check the server URL (envkeep login URL, ENVKEEP_SERVER, or server = in envkeep.toml):"
    " the address and port envkeep server answers on, with no path"
)
# The content types an answer is named by: the header is the other program's to write (it
# could echo the request's token into it), so only one of these, never its own text.
_KINDS = frozenset({"text/html", "text/plain", "application/json", "application/xml", "text/xml"})


def _kind(response: httpx.Response) -> str:
    """`` (its content type)`` for an answer of a common type, else nothing."""
    given = response.headers.get("content-type", "").partition(";")[0].strip().lower()
    return f" ({given})" if given in _KINDS else ""


def _fastapis_own(status: int, body: dict[str, Any]) -> bool:
    """A server older than problem+json's for every error: FastAPI's own 422, ``{"detail":
    [...]}`` (`rotation_request` tells it apart), is an envkeep server's."""
    return status == 422 and isinstance(body.get("detail"), list)


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
        raise not_envkeep(response, by_envkeep=no_route, missing=True)
    if not ours and status == 413:  # envkeep server's own 413 is problem+json
        raise errors.EnvkeepError(
            f"{_origin(response)} refused the request as too large (413) before envkeep"
            " server read it",
            hint="a proxy in front of the server limits request bodies: raise its limit"
            " (nginx: client_max_body_size), or send fewer or smaller values at once",
        )
    if (
        not ours and status != 429 and not _fastapis_own(status, body)
    ):  # a proxy's 401, a JSON API's: a refusal, not a route an older server lacks
        raise not_envkeep(response, by_envkeep=False)
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
