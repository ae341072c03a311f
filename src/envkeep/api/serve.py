"""Running the server: migrate, bootstrap the first admin, serve with uvicorn."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from envkeep.app import accounts
from envkeep.app.context import new_uuid, utc_now
from envkeep.core.errors import StoreError
from envkeep.store.engine import open_engine
from envkeep.store.migrate import current_revision, upgrade
from envkeep.store.schema_version import HEAD_REVISION

if TYPE_CHECKING:
    from fastapi import FastAPI


def migrate(database_url: str) -> tuple[str | None, str]:
    """Bring the database to the newest schema; (revision before, revision after)."""
    engine = open_engine(database_url)
    try:
        before = current_revision(engine)
        upgrade(engine)
        return before, HEAD_REVISION
    finally:
        engine.dispose()


def check_schema(database_url: str) -> None:
    """Refuse a database that is not at the schema this version needs."""
    engine = open_engine(database_url)
    try:
        revision = current_revision(engine)
    finally:
        engine.dispose()
    if revision != HEAD_REVISION:
        raise StoreError(
            f"the database is at schema {revision or 'none'}, this envkeep needs {HEAD_REVISION}",
            hint=f"run: envkeep server migrate --db {database_url}",
        )


def bootstrap(database_url: str, email: str, *, hours: int = 24) -> str:
    """The one-time invite code of the first admin."""
    check_schema(database_url)
    engine = open_engine(database_url)
    try:
        with Session(engine) as session, session.begin():
            return accounts.create_bootstrap_invite(
                session, email=email, clock=utc_now, new_id=new_uuid, ttl=timedelta(hours=hours)
            )
    finally:
        engine.dispose()


def build_app(database_url: str, *, rate: float = 50.0, rate_store: str = "memory") -> FastAPI:
    """The API, after checking the database's schema and the settings."""
    from envkeep.api.app import create_app

    check_schema(database_url)
    return create_app(database_url, rate=rate, rate_store=rate_store)


def run_app(app: FastAPI, *, host: str, port: int) -> None:
    """Serve ``app`` until interrupted (JSON logs on stderr)."""
    import uvicorn

    from envkeep.api.observability import configure_logging

    configure_logging()
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def serve(
    database_url: str, *, host: str, port: int, rate: float = 50.0, rate_store: str = "memory"
) -> None:
    """Serve the API until interrupted (JSON logs on stderr)."""
    run_app(build_app(database_url, rate=rate, rate_store=rate_store), host=host, port=port)
