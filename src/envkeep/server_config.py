"""The server's settings file (`envkeep server --config FILE`): TOML, flat keys.

    host = "0.0.0.0"
    port = 8600
    db = "postgresql://envkeep@db/envkeep"
    rate = 50            # requests/s per IP and per principal; 0: off
    rate_store = "database"
    trusted_proxies = "10.0.0.5"   # whose X-Forwarded-For names the client (or a list); none
    shutdown_timeout = 20  # seconds running requests get after SIGTERM (1-3600)
    cors_origins = ["https://app.example.com"]  # web pages that may call the API; none by default
    token_max_lifetime = "90d"  # the longest a token made or rotated may live; "off" by default
    pool_size = 15  # the most connections a process opens to PostgreSQL (2-1000)
    log_format = "text"  # readable lines on stderr; "json" (one object a line) by default
    metrics_port = 9600  # /metrics alone on this port (not on the API's); none by default
    metrics_host = "10.0.0.7"  # that port's address; 127.0.0.1 by default
    migrate = true  # migrate the database before serving; false by default

Flags and ENVKEEP_SERVER_* variables override it (see ``envkeep.server_settings``). Unknown
keys and values of the wrong type are refused, naming the key and the file; values are never
echoed (``db`` may hold a password), but for an origin that is not one.
"""

from __future__ import annotations

import tomllib
from typing import TYPE_CHECKING

from envkeep.core.errors import UsageError
from envkeep.cors_origins import checked_origins
from envkeep.server_settings import ServerFile
from envkeep.server_values import (
    LOG_FORMATS,
    MAX_SHUTDOWN_TIMEOUT,
    RATE_STORES,
    checked_proxies,
    checked_token_lifetime,
    is_rate,
    is_shutdown_timeout,
)
from envkeep.store.pool_size import MAX_POOL_SIZE, MIN_POOL_SIZE, is_pool_size

if TYPE_CHECKING:
    from datetime import timedelta
    from pathlib import Path

KEYS = (
    "host",
    "port",
    "db",
    "rate",
    "rate_store",
    "trusted_proxies",
    "shutdown_timeout",
    "cors_origins",
    "token_max_lifetime",
    "pool_size",
    "log_format",
    "metrics_host",
    "metrics_port",
    "migrate",
)


def read_server_config(path: Path) -> ServerFile:
    """The settings a file sets; a UsageError naming the file for anything wrong in it."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(
            f"server settings file {path} not found", hint="check --config or ENVKEEP_SERVER_CONFIG"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read server settings file {path}: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"{path} is not valid TOML: {error}") from None
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise _unknown_setting(unknown[0], path)
    return ServerFile(
        host=_text(data, "host", path),
        port=_port(data, path, "port"),
        db=_text(data, "db", path),
        rate=_rate(data, path),
        rate_store=_store(data, path),
        trusted_proxies=_proxies(data, path),
        shutdown_timeout=_timeout(data, path),
        cors_origins=_origins(data, path),
        token_max_lifetime=_token_lifetime(data, path),
        pool_size=_pool_size(data, path),
        log_format=_log_format(data, path),
        metrics_host=_text(data, "metrics_host", path),
        metrics_port=_port(data, path, "metrics_port"),
        migrate=_switch(data, path, "migrate"),
    )


def _wrong(key: str, path: Path, what: str) -> UsageError:
    return UsageError(f"setting '{key}' in {path} must be {what}")


def _text(data: dict[str, object], key: str, path: Path) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _wrong(key, path, "a non-empty string")
    return value


def _switch(data: dict[str, object], path: Path, key: str) -> bool | None:
    value = data.get(key)
    if value is not None and not isinstance(value, bool):
        raise _wrong(key, path, "true or false")
    return value


def _proxies(data: dict[str, object], path: Path) -> str | None:
    """``trusted_proxies``: one comma-separated string, or a list (as ``cors_origins`` is)."""
    value = data.get("trusted_proxies")
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        value = ",".join(value)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise _wrong(
            "trusted_proxies",
            path,
            'addresses or networks: "10.0.0.5,10.1.0.0/16" or ["10.0.0.5", "10.1.0.0/16"]',
        )
    return checked_proxies(value, f"setting 'trusted_proxies' in {path}")


def _port(data: dict[str, object], path: Path, key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        raise _wrong(key, path, "a port number (an integer, 1-65535)")
    return value


def _rate(data: dict[str, object], path: Path) -> float | None:
    value = data.get("rate")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not is_rate(value):
        raise _wrong("rate", path, "a number of requests per second (0: off)")
    return float(value)


def _store(data: dict[str, object], path: Path) -> str | None:
    value = data.get("rate_store")
    if value is None:
        return None
    if value not in RATE_STORES:
        raise _wrong("rate_store", path, f"one of: {', '.join(RATE_STORES)}")
    return str(value)


def _timeout(data: dict[str, object], path: Path) -> int | None:
    value = data.get("shutdown_timeout")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not is_shutdown_timeout(value):
        raise _wrong(
            "shutdown_timeout", path, f"a whole number of seconds (1-{MAX_SHUTDOWN_TIMEOUT})"
        )
    return value


def _pool_size(data: dict[str, object], path: Path) -> int | None:
    value = data.get("pool_size")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not is_pool_size(value):
        raise _wrong(
            "pool_size", path, f"a number of connections ({MIN_POOL_SIZE}-{MAX_POOL_SIZE})"
        )
    return value


def _origins(data: dict[str, object], path: Path) -> tuple[str, ...] | None:
    value = data.get("cors_origins")
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _wrong("cors_origins", path, 'a list of origins, e.g. ["https://app.example.com"]')
    return checked_origins(value, f"setting 'cors_origins' in {path}")


def _token_lifetime(data: dict[str, object], path: Path) -> timedelta | None:
    value = data.get("token_max_lifetime")
    if value is None:
        return None
    if not isinstance(value, str):
        raise _wrong("token_max_lifetime", path, 'a duration, e.g. "90d", or "off"')
    return checked_token_lifetime(value, f"setting 'token_max_lifetime' in {path}")


def _log_format(data: dict[str, object], path: Path) -> str | None:
    value = data.get("log_format")
    if value is None:
        return None
    if value not in LOG_FORMATS:
        raise _wrong("log_format", path, f"one of: {', '.join(LOG_FORMATS)}")
    return str(value)


def _unknown_setting(key: str, path: Path) -> UsageError:
    """A key the file may not have, with the known key it likely mistypes (``trusted-proxies``
    as the flag is spelt, ``trusted_proxie``) named first."""
    from envkeep.core.did_you_mean import did_you_mean
    from envkeep.core.near_names import suggestions

    meant = did_you_mean(suggestions(key, KEYS, limit=1))
    known = f"known: {', '.join(KEYS)}"
    return UsageError(
        f"unknown setting '{key}' in {path}", hint=f"{meant} {known}" if meant else known
    )
