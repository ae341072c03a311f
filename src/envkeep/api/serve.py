"""Running the server: migrate, bootstrap the first admin, serve with uvicorn (the database's
checks: `server_database`; the address: `listening`)."""

from __future__ import annotations

import contextlib
import gc
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from envkeep import __version__
from envkeep.api.listening import IPv4Peers, address, is_dual_stack, shown_address
from envkeep.api.server_database import (
    check_database_url,
    check_writable,
    database_opened,
    database_written,
    shown_url,
)
from envkeep.app import accounts
from envkeep.app.context import new_uuid, utc_now
from envkeep.core.durations import duration_text
from envkeep.core.errors import EnvkeepError, StoreError
from envkeep.store.database_url import is_postgresql, sqlite_file
from envkeep.store.engine import open_engine
from envkeep.store.migrate import current_revision, schema_ahead, upgrade
from envkeep.store.schema_version import HEAD_REVISION, schema_state

if TYPE_CHECKING:
    import socket
    from collections.abc import Callable, Iterator

    from fastapi import FastAPI
    from starlette.types import ASGIApp

    from envkeep.server_settings import ServerSettings


def migrate(database_url: str) -> tuple[str | None, str]:
    """Bring the database to the newest schema; (revision before, revision after)."""
    check_database_url(database_url)
    check_writable(database_url)
    engine = open_engine(database_url)
    try:
        with database_opened(database_url):
            current_revision(engine)  # can it be opened at all? (said here, not mid-upgrade)
        with database_written(database_url):
            return upgrade(engine), HEAD_REVISION
    finally:
        engine.dispose()


def check_schema(database_url: str, *, read_only: bool = False, serving: bool = False) -> None:
    """Refuse a database that is not at the schema this version needs, or cannot be opened.
    A SQLite file that does not exist is not made (opening it would leave an empty one).
    ``read_only``: one only read (`server copy`'s source), opened so, need not be writable;
    ``serving``: `envkeep server`'s check, whose hint names its own --migrate too."""
    check_database_url(database_url)
    path = sqlite_file(database_url)
    if path is not None and not path.exists():
        with database_opened(database_url):  # a missing directory is named as such
            pass
        raise StoreError(
            f"there is no database at {path}: it was never migrated",
            hint=f"make it with: {migrate_command(database_url)}" + _or_migrating(serving),
        )
    if not read_only:
        check_writable(database_url)
    engine = open_engine(database_url, read_only=read_only)
    try:
        with database_opened(database_url):
            revision = current_revision(engine)
    finally:
        engine.dispose()
    state = schema_state(revision)
    if state == "ahead":
        raise schema_ahead(str(revision))
    if state == "behind":
        found = f"at schema {revision}" if revision else "empty (never migrated)"
        raise StoreError(
            f"the database is {found}, this envkeep needs {HEAD_REVISION}",
            hint=f"run: {migrate_command(database_url)}" + _or_migrating(serving),
        )


def _or_migrating(serving: bool) -> str:
    """For `envkeep server`'s refusal: the other way, migrating as it starts."""
    if not serving:
        return ""
    return (
        "; or start with --migrate (ENVKEEP_SERVER_MIGRATE=1, or migrate = true in the"
        " settings file) to migrate, then serve"
    )


def migrate_command(database_url: str) -> str:
    """The `server migrate` that brings ``database_url`` up to date, as a hint says it: with
    the URL when it is shown whole, else (a user, a password or a query left out: the
    command could not be run as shown) with where this command found it."""
    shown = shown_url(database_url)
    if shown == database_url:
        return f"envkeep server migrate --db {shown}"
    return (
        "envkeep server migrate, with the --db, ENVKEEP_SERVER_DB or --config this command had"
        f" (the database {shown})"
    )


def bootstrap(database_url: str, email: str, *, hours: int = 24) -> tuple[str, list[str]]:
    """The one-time invite code of the first admin, and whom the earlier codes it replaced
    (unused) were made for."""
    check_schema(database_url)
    engine = open_engine(database_url)
    try:
        with database_written(database_url), Session(engine) as session, session.begin():
            replaced = accounts.founding_codes(session)  # for what is said: no lock needed
            code = accounts.create_bootstrap_invite(
                session, email=email, clock=utc_now, new_id=new_uuid, ttl=timedelta(hours=hours)
            )
            return code, replaced
    finally:
        engine.dispose()


def build_app(chosen: ServerSettings) -> FastAPI:
    """The API ``chosen`` describes, after checking its database's schema and the settings."""
    from envkeep.api.app import create_app

    check_schema(chosen.db, serving=True)
    return create_app(
        chosen.db,
        rate=chosen.rate,
        rate_store=chosen.rate_store,
        cors_origins=chosen.cors_origins,
        token_max_lifetime=chosen.token_max_lifetime,
        pool_size=chosen.pool_size,
    )


# Young collections after this many new container objects (Python's default is 700), and each
# older generation after this many collections of the one before it (10 and 10).
GC_THRESHOLDS = (20_000, 50, 100)


def settle_heap() -> None:
    """Tune the garbage collector for a long-running server, once its start-up is done.

    Everything imported and built so far (modules, the app, its routes and models) lives as
    long as the process: ``gc.freeze`` takes it out of every later collection, which otherwise
    walked all of it again and again (a full collection under load paused the event loop for
    tens of milliseconds). A request's objects are freed by reference counting as it ends, so
    young collections can be rarer than Python's default. Measured with ``make bench``: p99 of
    snapshot reads from about 120 ms to 45 ms and 10 % more reads per second.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


@dataclass(frozen=True)
class ServerStart:
    """What `run_app` serves: ``settings`` (the database's URL and the rate settings only
    for the start line: the app was built with them), ``listening``, the sockets the start
    bound on its host and port (`listening.listening_sockets`), ``metrics_socket`` (bound
    on ``settings.metrics_host``, `listening.bound_socket`): ``/metrics`` served there, not
    on the API's port; ``announce`` says the start to the user, once a SIGTERM is taken as a
    stop while starting."""

    settings: ServerSettings
    listening: tuple[socket.socket, ...]
    metrics_socket: socket.socket | None = None
    announce: Callable[[], None] = field(default=lambda: None)


def run_app(app: FastAPI, start: ServerStart) -> None:
    """Serve ``app`` as ``start`` says until interrupted (a log line at start and at stop,
    through the logging its caller configured: `requestlog.configure_logging`, before anything
    logs, as `envkeep server` does first); ``trusted_proxies`` (addresses
    and networks, comma-separated) are those whose X-Forwarded-For names the client;
    requests still running ``shutdown_timeout`` seconds after SIGTERM are cancelled. A
    SIGTERM before it serves ends it with 143 after a ``server_start_stopped`` line."""
    import uvicorn

    from envkeep.api.forwarded import ForwardedClient
    from envkeep.api.requestlog import UVICORN_LOG_CONFIG
    from envkeep.api.start_sigterm import taken
    from envkeep.api.uvicorn_server import LoggedServer
    from envkeep.api.uvicorn_settings import UVICORN_SETTINGS, UvicornSettings

    chosen = start.settings
    timeout = chosen.shutdown_timeout
    settings: UvicornSettings = {**UVICORN_SETTINGS, "timeout_graceful_shutdown": timeout}
    proxies = chosen.trusted_proxies
    served: ASGIApp = ForwardedClient(app, proxies) if proxies else app
    config = uvicorn.Config(
        IPv4Peers(served) if is_dual_stack(chosen.host) else served,
        host=chosen.host,
        port=chosen.port,
        log_config=UVICORN_LOG_CONFIG,
        **settings,
    )
    server = LoggedServer(config, _start_facts(start), list(start.listening))
    with taken(shown_address(chosen.host, chosen.port)):  # as the start's: 143, or 0 served
        start.announce()
        settle_heap()
        stop_metrics = _metrics_apart(app, start.metrics_socket)
        try:
            with contextlib.suppress(KeyboardInterrupt), _start_failure(chosen.host, chosen.port):
                server.run()
        finally:
            stop_metrics()
    if not server.started:
        raise _could_not_start(chosen.host, chosen.port)


def _start_facts(start: ServerStart) -> dict[str, object]:
    """What the ``server_started`` line says."""
    chosen, metrics_socket = start.settings, start.metrics_socket
    metrics_port = metrics_socket.getsockname()[1] if metrics_socket else None
    lifetime = chosen.token_max_lifetime
    return {
        "version": __version__,
        "address": shown_address(chosen.host, chosen.port),
        "database": shown_url(chosen.db),
        "rate": chosen.rate or "off",
        "rate_store": chosen.rate_store,
        # Whose X-Forwarded-For is believed: none means every client seems to be the proxy.
        "trusted_proxies": [item for item in chosen.trusted_proxies.split(",") if item],
        "shutdown_timeout": chosen.shutdown_timeout,
        "cors_origins": list(chosen.cors_origins),
        "token_max_lifetime": duration_text(lifetime) if lifetime else "off",
        # PostgreSQL's: SQLite's server uses a connection or two whatever it says.
        "pool_size": chosen.pool_size if is_postgresql(chosen.db) else "n/a (SQLite)",
        "log_format": chosen.log_format,
        "metrics": (
            address(chosen.metrics_host, metrics_port) if metrics_port else "on the API's port"
        ),
    }


def _metrics_apart(app: FastAPI, listening: socket.socket | None) -> Callable[[], None]:
    """``/metrics`` served on ``listening`` alone (and no longer on the API's port); what
    stops it (nothing to stop without a socket)."""
    if listening is None:
        return lambda: None
    from envkeep.api.metrics_port import serve_metrics

    app.state.metrics_elsewhere = True
    return serve_metrics(app.state.metrics.registry, listening)


@contextlib.contextmanager
def _start_failure(host: str, port: int) -> Iterator[None]:
    try:
        yield
    except SystemExit as stopped:  # uvicorn could not start: it logged why just above
        from envkeep.api.start_sigterm import StoppedStarting

        if stopped.code in (None, 0) or isinstance(stopped, StoppedStarting):
            raise  # a stop asked for: served and done (0), or before it served (143)
        raise _could_not_start(host, port) from None


def _could_not_start(host: str, port: int) -> EnvkeepError:
    return EnvkeepError(
        f"the server on {shown_address(host, port)} could not start (uvicorn's error is above)",
        hint="check --host and --port",
    )
