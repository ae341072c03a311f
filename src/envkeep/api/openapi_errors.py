"""How ``/openapi.json`` describes the errors the API sends: RFC 9457 problem+json
(``problems.py``), one ``Problem`` schema, on each operation the statuses it can answer with.

FastAPI documents, for every route with a parameter or a body, a 422 of its own
(``HTTPValidationError`` as ``application/json``) that this server never sends, and no other
error. ``describe`` replaces that with what the server does: each status from what its route
is (below), as ``application/problem+json`` with the ``Problem`` schema. A route may claim a
status it rarely gives; it never leaves out one its kind of route gives.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from envkeep.api.deps import bearer_token, database
from envkeep.api.observability import UNLIMITED
from envkeep.api.problems import MEDIA_TYPE
from envkeep.core import errors

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from fastapi.dependencies.models import Dependant
    from starlette.routing import BaseRoute

Route = tuple[str, str]  # (method, path template)

# FastAPI's own schemas for the 422 it documents; no operation refers to them once replaced.
_FASTAPI_OWN = ("HTTPValidationError", "ValidationError")
REF = "#/components/schemas/Problem"


def _no_defaults(schema: dict[str, Any]) -> None:
    for member in schema.get("properties", {}).values():
        member.pop("default", None)  # an optional member is left out, never null


class Problem(BaseModel):
    """An error answer, RFC 9457 problem+json. Open to additions: an error may add members of
    its own (the optional ones here), and a newer server more members and new codes; `code` is
    no enum, so a client falls back on `status` for a code it does not know."""

    # The members named are those EnvkeepError.fields gives (tests/test_openapi_errors.py),
    # and the request id of an unexpected error's (problems.failed).

    model_config = ConfigDict(extra="allow", frozen=True, json_schema_extra=_no_defaults)

    type: str = Field(description="https://envkeep.dev/problems/ followed by the code")
    title: str = Field(description="What went wrong, in one line; it names no value or token")
    status: int = Field(description="The answer's HTTP status")
    code: str = Field(
        description="Stable and machine-readable (each response's description lists its own)"
    )
    hint: str | SkipJsonSchema[None] = Field(default=None, description="What to do next")
    credential: str | SkipJsonSchema[None] = Field(
        default=None,
        description="401 for a bearer credential no longer valid: `session` or `token`",
    )
    needed: str | SkipJsonSchema[None] = Field(
        default=None, description="403: the role the refusal asked for (admin, write, read)"
    )
    scope: str | SkipJsonSchema[None] = Field(
        default=None, description="403 `workspace`: the caller holds no role in the workspace"
    )
    request_id: str | SkipJsonSchema[None] = Field(
        default=None,
        description="500 `internal`: the request's id (as in X-Request-ID), which the"
        " server's log line for the error carries",
    )


_WHY = {
    400: "The request cannot be carried out as asked",
    401: "Not authenticated: no valid session or token, or a wrong login key or invite code",
    403: "Not allowed: the caller's roles do not cover it",
    404: "Not found, or not the caller's to see",
    409: "A conflict: it exists already, or a concurrent change won; nothing was written",
    413: "The request body is over the server's limit",
    422: "The request does not parse: a field missing, mistyped or unknown",
    429: "Over a rate limit: try again after Retry-After seconds",
    500: "The server failed with an error of its own (`internal`: it names the request id to"
    " give the server's operator)",
    503: "The database does not answer: retry in a moment",
}
# The errors of the tree the server never raises (no module of api/, app/ or store/ imports
# them; a test holds it to that): the client's own, and a base raised only as a subclass.
# (RotationLeft, the client's too, is declared in core/rotation_left.py: `_tree` never reads it.)
NOT_SENT: frozenset[type[errors.EnvkeepError]] = frozenset(
    {
        errors.ParseError,
        errors.ReferenceProblem,
        errors.SchemaViolation,
        errors.VersionNotFound,
        errors.EnvironmentReplaced,
        errors.Declined,
        errors.Interrupted,
        errors.ValidationFailed,
        errors.AccessError,
        errors.WrongPassphrase,
        errors.CryptoError,
        errors.IntegrityError,
        errors.CommandError,
        errors.CommandNotExecutable,
        errors.UnreachableError,
        errors.NotAnEnvkeepRoute,
    }
)
# The codes the HTTP layer answers with of its own (problems.py, observability.py, /readyz).
_OWN_CODES = {
    409: ("conflict",),
    413: ("too_large",),
    422: ("invalid_request",),
    503: ("not_ready",),
}
# What the rules in ``statuses`` cannot see: public routes that check a credential of their
# own (a login key, an invite's code), and the readiness probe's own answer.
PUBLIC_ERRORS: dict[Route, tuple[int, ...]] = {
    ("POST", "/v1/auth/login"): (401,),
    ("POST", "/v1/invites/accept"): (400, 401, 409),
    ("GET", "/readyz"): (503,),
}
_RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}},
}


def _tree(error: type[errors.EnvkeepError]) -> Iterator[type[errors.EnvkeepError]]:
    """``error`` and the errors under it that core/errors.py declares (the registry: whatever
    else a process imported, the document stays the same)."""
    yield error
    for child in error.__subclasses__():
        if child.__module__ == errors.__name__:
            yield from _tree(child)


def codes(status: int) -> list[str]:
    """The codes a problem of ``status`` carries: the error tree's (core/errors.py) and the
    HTTP layer's own."""
    if status == errors.ServerFailed.status:  # any 500 is answered as `internal` (`problems`)
        tree = {errors.ServerFailed.code}
    else:
        sent = (e for e in _tree(errors.EnvkeepError) if e not in NOT_SENT)
        tree = {e.code for e in sent if e.status == status}
    return sorted(tree | set(_OWN_CODES.get(status, ())))


def answer(status: int) -> dict[str, Any]:
    """The OpenAPI response object of a problem of ``status``."""
    named = ", ".join(f"`{code}`" for code in codes(status))
    found: dict[str, Any] = {
        "description": f"{_WHY[status]}. Codes: {named}.",
        "content": {MEDIA_TYPE: {"schema": {"$ref": REF}}},
    }
    if status == 429:
        found["headers"] = _RETRY_AFTER
    return found


def _calls(dependant: Dependant) -> Iterator[object]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _calls(dependency)


def statuses(route: RouteContext, method: str, operation: dict[str, Any]) -> set[int]:
    """The error statuses ``route`` answers ``method`` with: 500 for an unexpected error (any
    route), 429 past the rate limit (not the probes), 413 for a body over the limit, 422 for
    input that does not parse; with a bearer token, 400, 401, 403, 404 and 503, and 409 if it
    changes something; 503 for a database transaction without one."""
    calls = set(_calls(route.dependant))
    path = route.path_format or ""
    found = {500, *PUBLIC_ERRORS.get((method, path), ())}
    if path not in UNLIMITED:
        found.add(429)
    if "requestBody" in operation:
        found.add(413)
    if "requestBody" in operation or operation.get("parameters"):
        found.add(422)
    if bearer_token in calls:
        found |= {400, 401, 403, 404, 503} | ({409} if method != "GET" else set())
    if database in calls:
        found.add(503)
    return found


def describe(document: dict[str, Any], routes: Sequence[BaseRoute]) -> dict[str, Any]:
    """FastAPI's ``document`` of ``routes``, its error answers made the server's (in place)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in _FASTAPI_OWN:
        schemas.pop(name, None)
    schemas["Problem"] = Problem.model_json_schema(mode="serialization")
    for route in iter_route_contexts(routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        for method in route.methods or ():
            operation = document["paths"][route.path_format][method.lower()]
            operation["responses"].pop("422", None)
            for status in sorted(statuses(route, method, operation)):
                operation["responses"][str(status)] = answer(status)
    return document
