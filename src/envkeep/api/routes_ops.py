"""For operators: liveness, readiness (the database answers and is migrated), metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from envkeep.api.deps import state
from envkeep.api.problems import problem
from envkeep.store.schema_version import schema_state

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
def readyz(request: Request) -> dict[str, str] | Response:
    """The database answers and is at the schema this server needs."""
    try:
        with state(request).engine.connect() as connection:
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # noqa: BLE001 - any database failure means "not ready"
        return problem(503, "not_ready", "the database does not answer")
    standing = schema_state(revision)
    if standing == "behind":
        return problem(
            503, "not_ready", "the database schema is behind", hint="envkeep server migrate"
        )
    if standing == "ahead":  # a newer envkeep migrated it: this replica is the one to replace
        return problem(
            503,
            "not_ready",
            "the database schema is ahead: a newer envkeep migrated it",
            hint="replace this server with the envkeep that migrated the database",
        )
    return {"status": "ready"}


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """Prometheus metrics."""
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
