"""An environment's ciphertext: read (a snapshot), write (a batch), history (of one secret, or
of one scope at a time).

The snapshot and the write are also answered by ``hot_routes`` ahead of FastAPI's router; both
ways go through ``read_snapshot`` and ``write_batch`` here, so they run the same use cases and
answer the same bytes, headers and errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, TypeVar

from fastapi import APIRouter, Header, Query, Request, Response

from envkeep.api import schemas
from envkeep.api.convert import secret_write
from envkeep.api.deps import AuthedCall, Caller, ServerState, Token, run_as, state
from envkeep.api.snapshot_json import snapshot_json
from envkeep.app import audited_reads, writes
from envkeep.core.errors import ConflictError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from envkeep.app.context import Call
    from envkeep.app.views import PrincipalView, VersionView

# A batch this small is written on the event loop, sharing its transaction with other small
# batches written at the same time (group_commit).
SMALL_BATCH = 20

PREFIX = "/v1/workspaces/{workspace_id}/projects/{project}/environments/{environment}"
_Answer = TypeVar("_Answer", bound=schemas.History)  # a history, or a scope's versions at a time

router = APIRouter(prefix=PREFIX, tags=["secrets"])


async def read_snapshot(
    found: ServerState, caller: Caller, where: tuple[str, str, str], services: list[str] | None
) -> Response:
    """The snapshot answer: ``where`` is (workspace id, project, environment); ``services``
    None for every scope."""
    workspace_id, project, environment = where
    render = found.render or snapshot_json

    def read(call: Call) -> tuple[int, bytes]:
        snapshot = audited_reads.read_environment(
            call,
            workspace_id=workspace_id,
            project=project,
            environment=environment,
            services=services,
            cache=found.secrets_cache,
        )
        return snapshot.environment.revision, render(snapshot)

    revision, body = await run_as(found, caller, read, shared=True)
    return Response(body, media_type="application/json", headers={"ETag": f'"{revision}"'})


async def write_batch(
    found: ServerState,
    caller: Caller,
    where: tuple[str, str, str],
    body: schemas.Writes,
    if_match: str | None,
) -> Response:
    """The write answer: a batch of new versions, all or nothing."""
    workspace_id, project, environment = where
    expected = _revision(if_match)

    def write(call: Call) -> writes.Written:
        return writes.write_batch(
            call,
            workspace_id=workspace_id,
            project=project,
            environment=environment,
            writes=[secret_write(w) for w in body.writes],
            confirmed=body.confirmed,
            expected_revision=expected,
        )

    small = len(body.writes) <= SMALL_BATCH
    size = sum(len(w.value_ct or b"") + len(w.name_ct) for w in body.writes) if small else 0
    done = await run_as(found, caller, write, small=small, size=size)
    # The bytes JSONResponse renders, without a JSON encoder per write (`at` is ISO 8601).
    answer = b'{"revision":%d,"written_at":"%s"}' % (done.revision, done.at.encode())
    return Response(answer, media_type="application/json", headers={"ETag": f'"{done.revision}"'})


@router.get("/snapshot", response_model=schemas.Snapshot)
async def snapshot(
    workspace_id: str,
    project: str,
    environment: str,
    request: Request,
    token: Token,
    service: Annotated[list[str] | None, Query()] = None,
    all_scopes: bool = False,
) -> Response:
    """The shared scope plus the named services' scopes (or every scope), as ciphertext."""
    services = None if all_scopes else (service or [])
    where = (workspace_id, project, environment)
    return await read_snapshot(state(request), Caller.of(request, token), where, services)


@router.post("/secrets", response_model=schemas.Written)
async def write_secrets(
    workspace_id: str,
    project: str,
    environment: str,
    body: schemas.Writes,
    request: Request,
    token: Token,
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """A batch of new versions, all or nothing; 409 when any of them is stale."""
    where = (workspace_id, project, environment)
    return await write_batch(state(request), Caller.of(request, token), where, body, if_match)


def _revision(if_match: str | None) -> int | None:
    if if_match is None or if_match.strip() == "*":
        return None
    try:
        return int(if_match.strip().strip('"'))
    except ValueError:
        raise ConflictError("If-Match must be an ETag from a snapshot") from None


@router.get("/secrets/{secret_id}/versions")
def history(
    workspace_id: str, project: str, environment: str, secret_id: str, call: AuthedCall
) -> schemas.History:
    """Every version of one secret."""
    versions, authors = audited_reads.secret_history(
        call,
        workspace_id=workspace_id,
        project=project,
        environment=environment,
        secret_id=secret_id,
    )
    return _versions_answer(schemas.History, versions, authors)


# A scope string is `shared` or `service:<uuid>` (`reads.service_scope`); an ISO time is short.
ScopeParam = Annotated[str, Query(max_length=64, description="shared, or service:<service id>")]
AtParam = Annotated[str, Query(max_length=64, description="an ISO time, UTC unless it says")]


@router.get("/versions")
def versions_at(
    workspace_id: str,
    project: str,
    environment: str,
    scope: ScopeParam,
    at: AtParam,
    call: AuthedCall,
) -> schemas.VersionsAt:
    """The version each secret of one scope held at a time: its last written at or before
    that second (deleted or not), none for one created later. One read, one audit event, for
    what would be a history read per secret. Unpaginated, as the snapshot is: at most one
    version per secret of one scope, which the snapshot the client read first holds more of."""
    versions, authors = audited_reads.versions_at(
        call,
        workspace_id=workspace_id,
        project=project,
        environment=environment,
        scope=scope,
        at=at,
    )
    return _versions_answer(schemas.VersionsAt, versions, authors)


def _versions_answer(
    answer: type[_Answer], versions: Sequence[VersionView], authors: Sequence[PrincipalView]
) -> _Answer:
    """Versions and their authors' keys, as a history or a scope's versions at a time answer
    them (one shape: ``VersionsAt`` is a ``History``)."""
    return answer(
        versions=[schemas.Version.model_validate(v) for v in versions],
        authors=[schemas.Principal.model_validate(a) for a in authors],
    )
