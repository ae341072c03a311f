"""`envkeep server`'s settings, every one resolved: its flag, else its ENVKEEP_SERVER_*
variable, else the settings file, else the default.

`envkeep server`, `server migrate` and `server bootstrap` take each setting from, in order: its
flag (`--host`, `--port`, `--db`, `--rate`, `--rate-store`, `--trusted-proxies`,
`--shutdown-timeout`, `--cors-origin` once per origin, `--token-max-lifetime`, `--pool-size`,
`--log-format`, `--metrics-host`, `--metrics-port`, `--migrate`), then its `ENVKEEP_SERVER_*`
variable, then the settings file (`--config FILE` or ENVKEEP_SERVER_CONFIG; TOML with the keys
host, port, db, rate, rate_store, trusted_proxies, shutdown_timeout, cors_origins (a list),
token_max_lifetime, pool_size, log_format, metrics_host, metrics_port, migrate), then the
default. A variable set to the empty string counts as unset (the file's value, else the
default, applies). A file with an unknown key or a value of the wrong type is refused, naming
the key and the file. A port is 1-65535
wherever it comes from (0 would make the kernel pick one, announced as :0). A maximum token
lifetime is a duration (90d, 12h, 90m) or `off` wherever it comes from: `off` given first
wins over a maximum given later (none by default).

`settings.py` reads the variables, as written, with the rest of the environment; they are
checked (`server_values`) only where a command uses one and no flag overrides it, so that a
mistake in one breaks neither client commands nor --help. Kept apart from `settings.py`
because only the server's commands use any of this, and every command imports that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from envkeep.server_values import (
    NO_TOKEN_MAXIMUM,
    RATE_STORES,
    SHUTDOWN_TIMEOUT,
    check_metrics_address,
    checked_log_format,
    checked_proxies,
    flag_pool_size,
    flag_port,
    flag_rate,
    flag_timeout,
    flag_token_lifetime,
    variable_log_format,
    variable_metrics_port,
    variable_migrate,
    variable_pool_size,
    variable_port,
    variable_rate,
    variable_rate_store,
    variable_timeout,
    variable_token_lifetime,
)
from envkeep.store.pool_size import POOL_SIZE

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import timedelta
    from pathlib import Path

    from envkeep.settings import Settings

T = TypeVar("T")


def default_database(settings: Settings) -> str:
    """The server's database URL: ENVKEEP_SERVER_DB, else an SQLite file in ENVKEEP_HOME."""
    return settings.server_db or f"sqlite:///{settings.home / 'server' / 'envkeep-server.db'}"


@dataclass(frozen=True)
class ServerSettings:
    """What `envkeep server` runs with, every setting resolved."""

    host: str = "127.0.0.1"
    port: int = 8600
    db: str = field(default="", repr=False)  # may hold a password
    rate: float = 50.0
    rate_store: str = "memory"
    trusted_proxies: str = ""  # whose X-Forwarded-For names the client: none by default
    shutdown_timeout: int = SHUTDOWN_TIMEOUT  # seconds, then running requests are cancelled
    cors_origins: tuple[str, ...] = ()  # whose web pages may call the API: none by default
    # The longest a service-account token made or rotated may live (`app/token_lifetime`);
    # None: no maximum (the default).
    token_max_lifetime: timedelta | None = None
    # The most connections the process opens to PostgreSQL, all pools (`store.pool_size`).
    pool_size: int = POOL_SIZE
    log_format: str = "json"  # LOG_FORMATS
    # /metrics alone on this address, off the API's port (None: on the API's port, the default).
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = None
    # Bring the database to this envkeep's schema before serving (False: refuse one behind).
    migrate: bool = False


def server_settings(
    settings: Settings,
    *,
    config: Path | None = None,
    host: str | None = None,
    port: int | None = None,
    db: str | None = None,
    rate: float | None = None,
    rate_store: str | None = None,
    trusted_proxies: str | None = None,
    shutdown_timeout: int | None = None,
    cors_origins: Sequence[str] | None = None,
    token_max_lifetime: str | None = None,
    pool_size: int | None = None,
    log_format: str | None = None,
    metrics_host: str | None = None,
    metrics_port: int | None = None,
    migrate: bool | None = None,
) -> ServerSettings:
    """The server's settings: each from its flag (these arguments), else its ENVKEEP_SERVER_*
    variable, else the settings file (``config``, else ENVKEEP_SERVER_CONFIG), else the
    default. The database defaults to an SQLite file under ENVKEEP_HOME. A variable is
    checked only when its flag is not given (a UsageError naming it)."""
    from envkeep.cors_origins import checked_origins

    found = _server_file(settings, config)
    if rate_store is not None and rate_store not in RATE_STORES:
        from envkeep.core.errors import UsageError

        raise UsageError("--rate-store must be memory or database")
    defaults = ServerSettings()
    proxies = checked_proxies(trusted_proxies, "--trusted-proxies")
    # `--cors-origin ""` alone names none: CORS off, whatever the variable or the file say.
    origins = None if cors_origins is None else checked_origins(cors_origins, "--cors-origin")
    chosen = ServerSettings(
        host=_first(host, settings.server_host, found.host, defaults.host),
        port=_first(
            _unless(flag_port(port), variable_port, settings.server_port), found.port, defaults.port
        ),
        db=_first(db, settings.server_db, found.db, default_database(settings)),
        rate=_first(
            _unless(flag_rate(rate), variable_rate, settings.server_rate), found.rate, defaults.rate
        ),
        rate_store=_first(
            _unless(rate_store, variable_rate_store, settings.server_rate_store),
            found.rate_store,
            "memory",
        ),
        trusted_proxies=_first(
            _unless(proxies, _variable_proxies, settings.server_trusted_proxies),
            found.trusted_proxies,
            defaults.trusted_proxies,
        ),
        shutdown_timeout=_first(
            _unless(
                flag_timeout(shutdown_timeout), variable_timeout, settings.server_shutdown_timeout
            ),
            found.shutdown_timeout,
            defaults.shutdown_timeout,
        ),
        cors_origins=_first(
            _unless(origins, _variable_origins, settings.server_cors_origins),
            found.cors_origins,
            defaults.cors_origins,
        ),
        token_max_lifetime=_first(
            _unless(
                flag_token_lifetime(token_max_lifetime),
                variable_token_lifetime,
                settings.server_token_max_lifetime,
            ),
            found.token_max_lifetime,
            NO_TOKEN_MAXIMUM,
        )
        or None,
        pool_size=_first(
            _unless(flag_pool_size(pool_size), variable_pool_size, settings.server_pool_size),
            found.pool_size,
            defaults.pool_size,
        ),
        log_format=_first(
            _unless(
                None if log_format is None else checked_log_format(log_format, "--log-format"),
                variable_log_format,
                settings.server_log_format,
            ),
            found.log_format,
            defaults.log_format,
        ),
        metrics_host=_first(
            metrics_host, settings.server_metrics_host, found.metrics_host, defaults.metrics_host
        ),
        metrics_port=_first(
            _unless(
                flag_port(metrics_port, "--metrics-port"),
                variable_metrics_port,
                settings.server_metrics_port,
            ),
            found.metrics_port,
            0,  # none: /metrics on the API's port
        )
        or None,
        migrate=_first(
            _unless(migrate, variable_migrate, settings.server_migrate),
            found.migrate,
            defaults.migrate,
        ),
    )
    given = (metrics_host, settings.server_metrics_host, found.metrics_host)
    check_metrics_address(
        chosen.host,
        chosen.port,
        chosen.metrics_host,
        chosen.metrics_port,
        any(host is not None for host in given),
    )
    return chosen


def server_database(
    settings: Settings, *, config: Path | None = None, db: str | None = None
) -> str:
    """The server's database URL alone, in the order of `server_settings` (for `server
    migrate` and `server bootstrap`, which use no other setting and so check no other
    variable)."""
    found = _server_file(settings, config)
    return _first(db, settings.server_db, found.db, default_database(settings))


def _server_file(settings: Settings, config: Path | None) -> ServerFile:
    from envkeep.server_config import read_server_config

    path = config or settings.server_config
    return read_server_config(path) if path is not None else ServerFile()


def _unless(flag: T | None, parse: Callable[[str | None], T | None], text: str | None) -> T | None:
    """The flag when given, else the variable ``text`` parsed (and so checked) by ``parse``."""
    return flag if flag is not None else parse(text)


def _variable_origins(text: str | None) -> tuple[str, ...] | None:
    # As for proxies: a variable naming no origin is unset, and the file's origins apply.
    if text is None:
        return None
    from envkeep.cors_origins import checked_origins

    return checked_origins(text.split(","), "ENVKEEP_SERVER_CORS_ORIGINS") or None


def _variable_proxies(text: str | None) -> str | None:
    # A variable naming no proxy (empty, or blanks and commas) is unset, as every other
    # ENVKEEP_SERVER_* variable: the file's proxies then apply. To trust none where the file
    # names some, give --trusted-proxies "" or change the file.
    return checked_proxies(text, "ENVKEEP_SERVER_TRUSTED_PROXIES") or None


@dataclass(frozen=True)
class ServerFile:
    """What a server settings file says (None: not set there)."""

    host: str | None = None
    port: int | None = None
    db: str | None = field(default=None, repr=False)
    rate: float | None = None
    rate_store: str | None = None
    trusted_proxies: str | None = None
    shutdown_timeout: int | None = None
    cors_origins: tuple[str, ...] | None = None
    token_max_lifetime: timedelta | None = None  # NO_TOKEN_MAXIMUM: off
    pool_size: int | None = None
    log_format: str | None = None
    metrics_host: str | None = None
    metrics_port: int | None = None
    migrate: bool | None = None


def _first(*values: T | None) -> T:
    """The first value that is set (the last one always is)."""
    return next(v for v in values if v is not None)
