"""`envkeep server`'s settings, every one resolved: its flag, else its ENVKEEP_SERVER_*
variable, else the settings file, else the default.

`envkeep server`, `server migrate` and `server bootstrap` take each setting from, in order: its
flag (`--host`, `--port`, `--db`, `--rate`, `--rate-store`, `--trusted-proxies`,
`--shutdown-timeout`, `--cors-origin` once per origin, `--token-max-lifetime`, `--pool-size`),
then its `ENVKEEP_SERVER_*` variable, then the settings file (`--config FILE` or
ENVKEEP_SERVER_CONFIG; TOML with the keys host, port, db, rate, rate_store, trusted_proxies,
shutdown_timeout, cors_origins (a list), token_max_lifetime, pool_size), then the default. A
variable set to the empty string counts as unset (the file's value, else the default,
applies). A file with an unknown
key or a value of the wrong type is refused, naming the key and the file. A port is 1-65535
wherever it comes from (0 would make the kernel pick one, announced as :0). A maximum token
lifetime is a duration (90d, 12h, 90m) or `off` wherever it comes from: `off` given first
wins over a maximum given later (none by default).

`settings.py` reads the variables, as written, with the rest of the environment; they are
checked here, only where a command uses one and no flag overrides it, so that a mistake in one
breaks neither client commands nor --help. Kept apart from `settings.py` because only the
server's commands use any of this, and every command imports that.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, TypeVar

from envkeep.store.pool_size import MAX_POOL_SIZE, MIN_POOL_SIZE, POOL_SIZE, is_pool_size

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from envkeep.settings import Settings

RATE_STORES = ("memory", "database")  # where rate-limit buckets live
# How long requests still running at SIGTERM may take before they are cancelled, by default:
# inside Kubernetes' default grace period (30 s, then SIGKILL), with room for the rest of the
# shutdown. An hour at most: a deadline is the point.
SHUTDOWN_TIMEOUT = 20
MAX_SHUTDOWN_TIMEOUT = 3600
# The longest maximum lifetime for tokens (a century: any longer is no policy, and a token's
# expiry must stay a date the databases hold).
LONGEST_TOKEN_LIFETIME = timedelta(days=36500)
NO_TOKEN_MAXIMUM = timedelta(0)  # `off`, told apart from unset until the layers are resolved
T = TypeVar("T")


def default_database(settings: Settings) -> str:
    """The server's database URL: ENVKEEP_SERVER_DB, else an SQLite file in ENVKEEP_HOME."""
    return settings.server_db or f"sqlite:///{settings.home / 'server' / 'envkeep-server.db'}"


def _whole_number(text: str) -> bool:
    """Whether ``text`` is digits ``int`` reads: ASCII ones (str.isdigit says yes to '²' too,
    which int() refuses with a ValueError: "a bug in envkeep")."""
    return text.isascii() and text.isdigit()


def _port(text: str | None) -> int | None:
    if not text:
        return None
    if not _whole_number(text) or not _is_port(int(text)):
        from envkeep.core.errors import UsageError

        raise UsageError("ENVKEEP_SERVER_PORT must be a port number (1-65535)")
    return int(text)


def _is_port(number: int) -> bool:
    return 0 < number < 65536


def _flag_port(port: int | None) -> int | None:
    if port is not None and not _is_port(port):
        from envkeep.core.errors import UsageError

        raise UsageError(
            f"--port must be a port number (1-65535), not {port}",
            hint="0 would let the system pick one: give the port clients will use"
            if port == 0
            else None,
        )
    return port


def is_shutdown_timeout(seconds: int) -> bool:
    """Whether ``seconds`` is a shutdown deadline the server takes (1 s to an hour)."""
    return 0 < seconds <= MAX_SHUTDOWN_TIMEOUT


def _timeout(text: str | None) -> int | None:
    if not text:
        return None
    if not _whole_number(text) or not is_shutdown_timeout(int(text)):
        from envkeep.core.errors import UsageError

        raise UsageError(
            "ENVKEEP_SERVER_SHUTDOWN_TIMEOUT must be a whole number of seconds"
            f" (1-{MAX_SHUTDOWN_TIMEOUT})"
        )
    return int(text)


def _flag_timeout(seconds: int | None) -> int | None:
    if seconds is not None and not is_shutdown_timeout(seconds):
        from envkeep.core.errors import UsageError

        raise UsageError(
            f"--shutdown-timeout must be 1-{MAX_SHUTDOWN_TIMEOUT} seconds, not {seconds}",
            hint="how long running requests get after SIGTERM; keep it under the grace period"
            " of whatever stops the server (Kubernetes: 30 s)",
        )
    return seconds


def is_rate(value: float) -> bool:
    """Whether ``value`` is a rate the server takes: requests a second, 0 for no limit (not
    negative, nor NaN or infinity, which would turn the limits off without saying so)."""
    return math.isfinite(value) and value >= 0


def _rate(text: str | None) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not is_rate(value):
        from envkeep.core.errors import UsageError

        raise UsageError("ENVKEEP_SERVER_RATE must be a number of requests per second (0: off)")
    return value


def _flag_rate(rate: float | None) -> float | None:
    if rate is not None and not is_rate(rate):
        from envkeep.core.errors import UsageError

        raise UsageError(
            f"--rate must be a number of requests per second, not {rate}",
            hint="e.g. --rate 50 (per client address and per principal); --rate 0 turns the"
            " limits off",
        )
    return rate


POOL_SIZES = f"{MIN_POOL_SIZE}-{MAX_POOL_SIZE}"


def _pool_size(text: str | None) -> int | None:
    if not text:
        return None
    if not _whole_number(text) or not is_pool_size(int(text)):
        from envkeep.core.errors import UsageError

        raise UsageError(f"ENVKEEP_SERVER_POOL_SIZE must be a number of connections ({POOL_SIZES})")
    return int(text)


def _flag_pool_size(size: int | None) -> int | None:
    if size is not None and not is_pool_size(size):
        from envkeep.core.errors import UsageError

        raise UsageError(
            f"--pool-size must be {POOL_SIZES} connections, not {size}",
            hint="the most connections one process opens to PostgreSQL: max_connections"
            " divided by the number of processes, less a few",
        )
    return size


def _rate_store(text: str | None) -> str | None:
    if not text:
        return None
    if text not in RATE_STORES:
        from envkeep.core.errors import UsageError

        raise UsageError("ENVKEEP_SERVER_RATE_STORE must be memory or database")
    return text


def checked_token_lifetime(text: str, where: str) -> timedelta:
    """A maximum lifetime for tokens as written: ``90d``, ``12h``, ``90m`` (at most a
    century), or ``off`` (``NO_TOKEN_MAXIMUM``); a UsageError naming ``where`` otherwise."""
    from envkeep.core.durations import parse_duration
    from envkeep.core.errors import UsageError

    if text.strip().lower() == "off":
        return NO_TOKEN_MAXIMUM
    try:
        span = parse_duration(text.strip())
    except (UsageError, OverflowError):
        span = LONGEST_TOKEN_LIFETIME + timedelta(1)
    if span > LONGEST_TOKEN_LIFETIME:
        raise UsageError(
            f"{where} must be a duration (e.g. 90d, 12h or 90m; at most"
            f" {LONGEST_TOKEN_LIFETIME.days}d) or off",
            hint="the longest a service-account token may live, e.g. 90d; off: no maximum",
        )
    return span


def _token_lifetime(text: str | None) -> timedelta | None:
    return None if not text else checked_token_lifetime(text, "ENVKEEP_SERVER_TOKEN_MAX_LIFETIME")


def _flag_token_lifetime(text: str | None) -> timedelta | None:
    return None if text is None else checked_token_lifetime(text, "--token-max-lifetime")


def checked_proxies(text: str | None, where: str) -> str | None:
    """Proxy addresses (IPs or networks, comma-separated) as uvicorn takes them; refused,
    naming ``where``, when one is neither. None or "" for none."""
    if text is None:
        return None
    import ipaddress

    items = [item.strip() for item in text.split(",") if item.strip()]
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            from envkeep.core.errors import UsageError

            raise UsageError(
                f"{where}: '{item}' is not an IP address or network",
                hint="name the proxies in front of the server, e.g. 10.0.0.5,10.1.0.0/16",
            ) from None
    return ",".join(items)


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
    return ServerSettings(
        host=_first(host, settings.server_host, found.host, defaults.host),
        port=_first(
            _unless(_flag_port(port), _port, settings.server_port), found.port, defaults.port
        ),
        db=_first(db, settings.server_db, found.db, default_database(settings)),
        rate=_first(
            _unless(_flag_rate(rate), _rate, settings.server_rate), found.rate, defaults.rate
        ),
        rate_store=_first(
            _unless(rate_store, _rate_store, settings.server_rate_store),
            found.rate_store,
            "memory",
        ),
        trusted_proxies=_first(
            _unless(proxies, _variable_proxies, settings.server_trusted_proxies),
            found.trusted_proxies,
            defaults.trusted_proxies,
        ),
        shutdown_timeout=_first(
            _unless(_flag_timeout(shutdown_timeout), _timeout, settings.server_shutdown_timeout),
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
                _flag_token_lifetime(token_max_lifetime),
                _token_lifetime,
                settings.server_token_max_lifetime,
            ),
            found.token_max_lifetime,
            NO_TOKEN_MAXIMUM,
        )
        or None,
        pool_size=_first(
            _unless(_flag_pool_size(pool_size), _pool_size, settings.server_pool_size),
            found.pool_size,
            defaults.pool_size,
        ),
    )


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


def _first(*values: T | None) -> T:
    """The first value that is set (the last one always is)."""
    return next(v for v in values if v is not None)
