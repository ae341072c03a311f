"""Each of `envkeep server`'s settings checked as a flag or an ENVKEEP_SERVER_* variable gives
it (a UsageError naming which), and the limits they are checked against; `server_settings`
resolves them, `server_config` checks the settings file's."""

from __future__ import annotations

import math
from datetime import timedelta
from ipaddress import ip_address

from envkeep.ipv4_mapped import unmapped
from envkeep.store.pool_size import MAX_POOL_SIZE, MIN_POOL_SIZE, is_pool_size

RATE_STORES = ("memory", "database")  # where rate-limit buckets live
LOG_FORMATS = ("json", "text")  # the log's lines: JSON objects, or readable text
# How long requests still running at SIGTERM may take before they are cancelled, by default:
# inside Kubernetes' default grace period (30 s, then SIGKILL), with room for the rest of the
# shutdown. An hour at most: a deadline is the point.
SHUTDOWN_TIMEOUT = 20
MAX_SHUTDOWN_TIMEOUT = 3600
# The longest maximum lifetime for tokens (a century: any longer is no policy, and a token's
# expiry must stay a date the databases hold).
LONGEST_TOKEN_LIFETIME = timedelta(days=36500)
NO_TOKEN_MAXIMUM = timedelta(0)  # `off`, told apart from unset until the layers are resolved


def _whole_number(text: str) -> bool:
    """Whether ``text`` is digits ``int`` reads: ASCII ones (str.isdigit says yes to '²' too,
    which int() refuses with a ValueError: "a bug in envkeep")."""
    return text.isascii() and text.isdigit()


def variable_port(text: str | None, name: str = "ENVKEEP_SERVER_PORT") -> int | None:
    if not text:
        return None
    if not _whole_number(text) or not is_port(int(text)):
        from envkeep.core.errors import UsageError

        raise UsageError(f"{name} must be a port number (1-65535)")
    return int(text)


def variable_metrics_port(text: str | None) -> int | None:
    return variable_port(text, "ENVKEEP_SERVER_METRICS_PORT")


# ENVKEEP_SERVER_MIGRATE's words, as the other switches read theirs (`environ`).
SWITCHED_ON = ("1", "true", "yes", "on")
SWITCHED_OFF = ("0", "false", "no", "off")


def variable_migrate(text: str | None) -> bool | None:
    """ENVKEEP_SERVER_MIGRATE: 1 (true, yes, on) migrates the database before serving, 0
    (false, no, off) does not; a word that is neither is refused, not read as off."""
    if not text:
        return None
    word = text.strip().lower()
    if word not in SWITCHED_ON + SWITCHED_OFF:
        from envkeep.core.errors import UsageError

        raise UsageError("ENVKEEP_SERVER_MIGRATE must be 1 or 0 (or true, false)")
    return word in SWITCHED_ON


def is_port(number: int) -> bool:
    return 0 < number < 65536


def flag_port(port: int | None, flag: str = "--port") -> int | None:
    if port is not None and not is_port(port):
        from envkeep.core.errors import UsageError

        raise UsageError(
            f"{flag} must be a port number (1-65535), not {port}",
            hint="0 would let the system pick one: give the port clients will use"
            if port == 0
            else None,
        )
    return port


def is_shutdown_timeout(seconds: int) -> bool:
    """Whether ``seconds`` is a shutdown deadline the server takes (1 s to an hour)."""
    return 0 < seconds <= MAX_SHUTDOWN_TIMEOUT


def variable_timeout(text: str | None) -> int | None:
    if not text:
        return None
    if not _whole_number(text) or not is_shutdown_timeout(int(text)):
        from envkeep.core.errors import UsageError

        raise UsageError(
            "ENVKEEP_SERVER_SHUTDOWN_TIMEOUT must be a whole number of seconds"
            f" (1-{MAX_SHUTDOWN_TIMEOUT})"
        )
    return int(text)


def flag_timeout(seconds: int | None) -> int | None:
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


def variable_rate(text: str | None) -> float | None:
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


def flag_rate(rate: float | None) -> float | None:
    if rate is not None and not is_rate(rate):
        from envkeep.core.errors import UsageError

        raise UsageError(
            f"--rate must be a number of requests per second, not {rate}",
            hint="e.g. --rate 50 (per client address and per principal); --rate 0 turns the"
            " limits off",
        )
    return rate


POOL_SIZES = f"{MIN_POOL_SIZE}-{MAX_POOL_SIZE}"


def variable_pool_size(text: str | None) -> int | None:
    if not text:
        return None
    if not _whole_number(text) or not is_pool_size(int(text)):
        from envkeep.core.errors import UsageError

        raise UsageError(f"ENVKEEP_SERVER_POOL_SIZE must be a number of connections ({POOL_SIZES})")
    return int(text)


def flag_pool_size(size: int | None) -> int | None:
    if size is not None and not is_pool_size(size):
        from envkeep.core.errors import UsageError

        raise UsageError(
            f"--pool-size must be {POOL_SIZES} connections, not {size}",
            hint="the most connections one process opens to PostgreSQL: max_connections"
            " divided by the number of processes, less a few",
        )
    return size


def variable_rate_store(text: str | None) -> str | None:
    if not text:
        return None
    if text not in RATE_STORES:
        from envkeep.core.errors import UsageError

        raise UsageError("ENVKEEP_SERVER_RATE_STORE must be memory or database")
    return text


def check_metrics_address(
    host: str, port: int, metrics_host: str, metrics_port: int | None, metrics_host_given: bool
) -> None:
    """Refuse a metrics address that cannot be served: a host without a port (the metrics
    would stay on the API's port unsaid), or the API's own port on an address that can be
    the API's (`addresses_collide`)."""
    from envkeep.core.errors import UsageError

    if metrics_port is None and metrics_host_given:
        raise UsageError(
            "a metrics host is given without a metrics port",
            hint="give --metrics-port too (e.g. 9600), or leave out --metrics-host",
        )
    if metrics_port == port and addresses_collide(host, metrics_host):
        raise UsageError(
            f"the metrics port must differ from the API's port ({port}) on the same host",
            hint="give --metrics-port another port, e.g. 9600, or --metrics-host another"
            " address of this machine",
        )


def addresses_collide(one: str, other: str) -> bool:
    """Whether listening on the same port on hosts ``one`` and ``other`` can clash: unless
    both are IP addresses, different, and neither a wildcard (``0.0.0.0``, ``::``, which
    take every address); a name may stand for the other's address."""
    try:
        first, second = ip_address(one.strip("[]")), ip_address(other.strip("[]"))
    except ValueError:  # a name: it may resolve to the other address
        return True
    first, second = unmapped(first), unmapped(second)
    return first == second or first.is_unspecified or second.is_unspecified


def checked_log_format(text: str, where: str) -> str:
    """``json`` or ``text``; a UsageError naming ``where`` otherwise."""
    if text not in LOG_FORMATS:
        from envkeep.core.errors import UsageError

        raise UsageError(
            f"{where} must be json or text, not '{text}'",
            hint="json: one object a line, for a log collector; text: readable lines",
        )
    return text


def variable_log_format(text: str | None) -> str | None:
    return None if not text else checked_log_format(text, "ENVKEEP_SERVER_LOG_FORMAT")


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


def variable_token_lifetime(text: str | None) -> timedelta | None:
    return None if not text else checked_token_lifetime(text, "ENVKEEP_SERVER_TOKEN_MAX_LIFETIME")


def flag_token_lifetime(text: str | None) -> timedelta | None:
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
