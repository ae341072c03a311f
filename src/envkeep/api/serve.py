"""Running the server: migrate, bootstrap the first admin, serve with uvicorn."""

from __future__ import annotations

import contextlib
import errno
import gc
import os
import socket
import stat
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import exc, make_url
from sqlalchemy.orm import Session

from envkeep import __version__
from envkeep.app import accounts
from envkeep.app.context import new_uuid, utc_now
from envkeep.core.durations import duration_text
from envkeep.core.errors import EnvkeepError, StoreError, UsageError
from envkeep.server_settings import SHUTDOWN_TIMEOUT
from envkeep.store.database_url import is_postgresql, sqlite_file
from envkeep.store.engine import open_engine
from envkeep.store.migrate import current_revision, schema_ahead, upgrade
from envkeep.store.pool_size import POOL_SIZE
from envkeep.store.schema_version import HEAD_REVISION, schema_state

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from fastapi import FastAPI


def shown_url(url: str) -> str:
    """A database URL as messages show it: without its password (or anything before ``@``),
    nor its query, which may hold one (``?password=…``)."""
    url, query, _ = url.partition("?")
    head, at, tail = url.rpartition("@")
    shown = f"{head.split('://')[0]}://…@{tail}" if at else url
    return f"{shown}?…" if query else shown


SUPPORTED = "sqlite:///PATH (a file) or postgresql://USER@HOST/NAME"
_DRIVERS = {"sqlite": ("", "pysqlite"), "postgresql": ("", "psycopg"), "postgres": ("",)}


def check_database_url(database_url: str) -> None:
    """Refuse (a usage error) a URL the server cannot run on: not a URL, a database other
    than SQLite or PostgreSQL (or another driver than the one installed), or SQLite in memory,
    which lasts one connection: migrate would fill one and the server open another, empty.
    Only the scheme is shown: the rest may hold a password."""
    where = "check --db, ENVKEEP_SERVER_DB or the settings file's db"
    try:
        url = make_url(database_url)
    except exc.ArgumentError:
        raise UsageError(
            f"the server's database is not a URL: give {SUPPORTED}", hint=where
        ) from None
    backend, _, driver = url.drivername.partition("+")
    if driver not in _DRIVERS.get(backend, ()):
        raise UsageError(
            f"the server cannot use a '{url.drivername}' database: give {SUPPORTED}", hint=where
        )
    if backend == "sqlite" and (
        url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"
    ):
        raise UsageError(
            "the server's database cannot be SQLite in memory: it would be empty again for"
            " the server after migrate",
            hint="give a file: --db sqlite:///PATH",
        )


def loose_database_file(database_url: str) -> str | None:
    """A warning when the server's SQLite file may be read or written by others than its
    owner (envkeep makes it 0600; an older one, or one made by hand, may not be)."""
    path = sqlite_file(database_url)
    try:
        mode = stat.S_IMODE(path.stat().st_mode) if path is not None else 0
    except OSError:
        return None
    if not mode & 0o077:
        return None
    return (
        f"the database file {path} is open to others than its owner (mode {mode:04o}): it holds"
        f" password hashes, wrapped keys and the audit trail; run: chmod 600 {path}*"
    )


def _check_writable(database_url: str) -> None:
    """Refuse a SQLite file this user cannot write, or whose directory it cannot (SQLite
    makes the ``-wal`` and ``-shm`` files there): the server would start, say it is ready,
    and answer every request 503, since even a read is audited."""
    path = sqlite_file(database_url)
    if path is None or not path.exists():
        return
    for where, what in ((path, "file"), (path.parent, "directory")):
        if not os.access(where, os.W_OK):
            raise StoreError(
                f"the database {what} {where} cannot be written by this user: the server writes"
                " on every request (sessions, the audit trail)",
                hint=f"run envkeep as the user that owns {path} (and its directory), or give"
                f" it to this one: chown USER {path}* {path.parent} (an immutable file:"
                f" chattr -i {path})",
            )


@contextlib.contextmanager
def sole_server(database_url: str) -> Iterator[None]:
    """Hold a SQLite database file for this server process, refusing (UsageError) one that
    another server holds: SQLite takes one process (docs/deploy.md), and a second one started
    without complaint, each with its own rate budget and group commit. An advisory ``flock``
    on the file itself, which SQLite's own (``fcntl``) locks do not meet; the system releases
    it when the process ends, however it ends."""
    import fcntl

    path = sqlite_file(database_url)
    if path is None or not path.exists():
        yield
        return
    held = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(
                f"another envkeep server serves {path}: a SQLite database takes one server process",
                hint="stop that server first; to run several processes, move to PostgreSQL"
                " (docs/deploy.md, 'Several processes')",
            ) from None
        yield
    finally:
        os.close(held)


def _sqlite_directory(database_url: str) -> Path | None:
    """The directory a SQLite URL's file lives in (None: not SQLite, or in memory)."""
    path = sqlite_file(database_url)
    return None if path is None else path.parent


@contextlib.contextmanager
def database_opened(database_url: str, *, where: str = "--db") -> Iterator[None]:
    """Turn a database that cannot be opened (a missing directory, no server there, wrong
    credentials) into an error that says which and what to do, not a driver's traceback;
    ``where``: the option that named it."""
    directory = _sqlite_directory(database_url)
    if directory is not None and not directory.is_dir():
        raise StoreError(
            f"cannot open the database {shown_url(database_url)}: the directory {directory}"
            " does not exist",
            hint=f"create it (mkdir -p {directory}) or give {where} another path (`envkeep"
            " server migrate` makes the default one)",
        )
    try:
        yield
    except exc.OperationalError as failed:
        reason = _said(failed)
        raise StoreError(
            f"cannot open the database {shown_url(database_url)}: {reason}",
            hint=f"check {_given(where)}: the path or host, the user and password, and that"
            " the database server runs",
        ) from None
    except exc.ProgrammingError as refused:  # the driver refused the URL before connecting
        raise UsageError(
            f"cannot open the database {shown_url(database_url)}:"
            f" {_driver_refusal(refused, database_url)}",
            hint=f"check the options after ? in {_given(where)}: PostgreSQL's names, e.g."
            " ?sslmode=require",
        ) from None


def _given(where: str) -> str:
    """Where a database URL came from, as a hint names it."""
    return "--db (or ENVKEEP_SERVER_DB, or the settings file's db)" if where == "--db" else where


@contextlib.contextmanager
def database_written(database_url: str) -> Iterator[None]:
    """Turn a write the database refused once open (a full disk, a read-only file, a lost
    connection) into an error naming what it said, not "a bug in envkeep"."""
    try:
        yield
    except exc.OperationalError as failed:
        reason = _said(failed)
        raise StoreError(
            f"cannot write to the database {shown_url(database_url)}: {reason}",
            hint="free space on its disk, or check that the database server runs, then run"
            " the command again",
        ) from None


def _said(failed: exc.OperationalError) -> str:
    """The first line of what the database or its driver said, as a 503's log line gives it
    (`problems.database_reason`); none: no connection."""
    from envkeep.api.problems import database_reason

    return database_reason(failed) if failed.orig else "no connection"


def _driver_refusal(refused: exc.ProgrammingError, database_url: str) -> str:
    """What the driver said of the URL (`invalid connection option "sslmod"`), unless it
    quotes the password."""
    lines = str(refused.orig).strip().splitlines() if refused.orig else []
    password = make_url(database_url).password
    if not lines or (password and str(password) in lines[0]):
        return "the driver refused the URL's options"
    return lines[0]


def migrate(database_url: str) -> tuple[str | None, str]:
    """Bring the database to the newest schema; (revision before, revision after)."""
    check_database_url(database_url)
    _check_writable(database_url)
    engine = open_engine(database_url)
    try:
        with database_opened(database_url):
            current_revision(engine)  # can it be opened at all? (said here, not mid-upgrade)
        with database_written(database_url):
            return upgrade(engine), HEAD_REVISION
    finally:
        engine.dispose()


def check_schema(database_url: str, *, read_only: bool = False) -> None:
    """Refuse a database that is not at the schema this version needs, or cannot be opened.
    A SQLite file that does not exist is not made (opening it would leave an empty one).
    ``read_only``: one only read (`server copy`'s source), opened so, need not be writable."""
    check_database_url(database_url)
    path = sqlite_file(database_url)
    if path is not None and not path.exists():
        with database_opened(database_url):  # a missing directory is named as such
            pass
        raise StoreError(
            f"there is no database at {path}: it was never migrated",
            hint=f"make it with: {migrate_command(database_url)}",
        )
    if not read_only:
        _check_writable(database_url)
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
            hint=f"run: {migrate_command(database_url)}",
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


def build_app(
    database_url: str,
    *,
    rate: float = 50.0,
    rate_store: str = "memory",
    cors_origins: Sequence[str] = (),
    token_max_lifetime: timedelta | None = None,
    pool_size: int = POOL_SIZE,
) -> FastAPI:
    """The API, after checking the database's schema and the settings."""
    from envkeep.api.app import create_app

    check_schema(database_url)
    return create_app(
        database_url,
        rate=rate,
        rate_store=rate_store,
        cors_origins=cors_origins,
        token_max_lifetime=token_max_lifetime,
        pool_size=pool_size,
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


def address(host: str, port: int) -> str:
    """``host:port`` as a URL writes it: an IPv6 address in brackets (``[::1]:8600``)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def check_port(host: str, port: int) -> None:
    """Refuse, before anything is served or printed, an address another program listens on
    (uvicorn would log the error and exit with its own code, 3, after the start was
    announced)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET  # as uvicorn picks it
    try:
        probe = socket.create_server((host, port), family=family)
    except OSError as failed:
        if failed.errno == errno.EADDRINUSE:
            raise EnvkeepError(
                f"cannot listen on {address(host, port)}: another program uses that port",
                hint="stop it, or give --port another port",
            ) from None
        raise EnvkeepError(
            f"cannot listen on {address(host, port)}: {failed.strerror or failed}",
            hint="check --host (an address of this machine) and --port",
        ) from None
    probe.close()


def run_app(
    app: FastAPI,
    *,
    host: str,
    port: int,
    trusted_proxies: str = "",
    database_url: str = "",
    rate: float = 50.0,
    rate_store: str = "memory",
    shutdown_timeout: int = SHUTDOWN_TIMEOUT,
    cors_origins: Sequence[str] = (),
    token_max_lifetime: timedelta | None = None,
    pool_size: int = POOL_SIZE,
) -> None:
    """Serve ``app`` until interrupted (JSON logs on stderr, a line at start and at stop);
    ``trusted_proxies`` (addresses and networks, comma-separated) are those whose
    X-Forwarded-For names the client; requests still running ``shutdown_timeout`` seconds
    after SIGTERM are cancelled; ``rate``, ``rate_store``, ``cors_origins``,
    ``token_max_lifetime`` and ``pool_size`` are for the start line."""
    import uvicorn

    from envkeep.api.forwarded import ForwardedClient
    from envkeep.api.observability import configure_logging
    from envkeep.api.requestlog import UVICORN_LOG_CONFIG
    from envkeep.api.uvicorn_server import LoggedServer
    from envkeep.api.uvicorn_settings import UVICORN_SETTINGS, UvicornSettings

    configure_logging()
    settle_heap()
    settings: UvicornSettings = {**UVICORN_SETTINGS, "timeout_graceful_shutdown": shutdown_timeout}
    config = uvicorn.Config(
        ForwardedClient(app, trusted_proxies) if trusted_proxies else app,
        host=host,
        port=port,
        log_config=UVICORN_LOG_CONFIG,
        **settings,
    )
    facts: dict[str, object] = {
        "version": __version__,
        "address": address(host, port),
        "database": shown_url(database_url),
        "rate": rate or "off",
        "rate_store": rate_store,
        # Whose X-Forwarded-For is believed: none means every client seems to be the proxy.
        "trusted_proxies": [item for item in trusted_proxies.split(",") if item],
        "shutdown_timeout": shutdown_timeout,
        "cors_origins": list(cors_origins),
        "token_max_lifetime": duration_text(token_max_lifetime) if token_max_lifetime else "off",
        # PostgreSQL's: SQLite's server uses a connection or two whatever it says.
        "pool_size": pool_size if is_postgresql(database_url) else "n/a (SQLite)",
    }
    server = LoggedServer(config, facts)
    with contextlib.suppress(KeyboardInterrupt), _start_failure(host, port):
        server.run()
    if not server.started:
        raise _could_not_start(host, port)


@contextlib.contextmanager
def _start_failure(host: str, port: int) -> Iterator[None]:
    try:
        yield
    except SystemExit as stopped:  # uvicorn could not start: it logged why just above
        if stopped.code in (None, 0):
            raise
        raise _could_not_start(host, port) from None


def _could_not_start(host: str, port: int) -> EnvkeepError:
    return EnvkeepError(
        f"the server on {address(host, port)} could not start (uvicorn's error is above)",
        hint="check --host and --port",
    )


def serve(
    database_url: str, *, host: str, port: int, rate: float = 50.0, rate_store: str = "memory"
) -> None:
    """Serve the API until interrupted (JSON logs on stderr)."""
    app = build_app(database_url, rate=rate, rate_store=rate_store)
    run_app(app, host=host, port=port, database_url=database_url, rate_store=rate_store)
