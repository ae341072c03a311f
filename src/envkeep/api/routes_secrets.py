"""An environment's ciphertext: read (a snapshot), write (a batch), history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from envkeep.api import schemas
from envkeep.api.convert import secret_write
from envkeep.api.deps import AuthedCall
from envkeep.app import audited_reads, writes
from envkeep.core.errors import ConflictError

router = APIRouter(
    prefix="/v1/workspaces/{workspace_id}/projects/{project}/environments/{environment}",
    tags=["secrets"],
)


@router.get("/snapshot")
def snapshot(
    workspace_id: str,
    project: str,
    environment: str,
    call: AuthedCall,
    response: Response,
    service: Annotated[list[str] | None, Query()] = None,
    all_scopes: bool = False,
) -> schemas.Snapshot:
    """The shared scope plus the named services' scopes (or every scope), as ciphertext."""
    found = audited_reads.read_environment(
        call,
        workspace_id=workspace_id,
        project=project,
        environment=environment,
        services=None if all_scopes else (service or []),
    )
    response.headers["ETag"] = f'"{found.environment.revision}"'
    return schemas.Snapshot.model_validate(found)


@router.post("/secrets")
def write_secrets(
    workspace_id: str,
    project: str,
    environment: str,
    body: schemas.Writes,
    call: AuthedCall,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> schemas.Revision:
    """A batch of new versions, all or nothing; 409 when any of them is stale."""
    revision = writes.write_secrets(
        call,
        workspace_id=workspace_id,
        project=project,
        environment=environment,
        writes=[secret_write(w) for w in body.writes],
        confirmed=body.confirmed,
        expected_revision=_revision(if_match),
    )
    response.headers["ETag"] = f'"{revision}"'
    return schemas.Revision(revision=revision)


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
    return schemas.History(
        versions=[schemas.Version.model_validate(v) for v in versions],
        authors=[schemas.Principal.model_validate(a) for a in authors],
    )
